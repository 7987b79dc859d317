using System.Text.Json;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>Project A cannot see, control or page past project B's fine-tuning job, nor start a job on B's files or
/// B's model: each answer is the one an id that never existed gets, so nothing reveals that B's objects exist.</summary>
public sealed class JobIsolationTests(StorageFixture storage)
{
    private const string Jobs = "v1/fine_tuning/jobs";

    [Fact]
    public async Task One_project_cannot_see_control_list_or_build_on_another_projects_job_files_or_model()
    {
        await using var server = await JobsApiServer.StartAsync(storage);
        using var a = await server.ClientAsync("iso-a");
        using var b = await server.ClientAsync("iso-b");
        await JobFixtures.RegisterTinyAsync(b, "b-tiny");
        await JobFixtures.RegisterTinyAsync(a, "a-tiny");
        var bTraining = await JobFixtures.UploadAsync(b, JobFixtures.Dataset(4));
        var bValidation = await JobFixtures.UploadAsync(b, JobFixtures.Dataset(2, offset: 4), "valid.jsonl");
        var aTraining = await JobFixtures.UploadAsync(a, JobFixtures.Dataset(4));
        var aValidation = await JobFixtures.UploadAsync(a, JobFixtures.Dataset(2, offset: 4), "valid.jsonl");
        // Many epochs so B's job is still live while A probes it (it need not finish; B cancels it at the end).
        var bJob = (await ApiAssert.OkAsync(await b.PostJson(Jobs, JobFixtures.CreateBody("b-tiny", bTraining, bValidation, epochs: 10)))).GetProperty("id").GetString()!;

        // Every job route answers A as for an id that never existed, with the same code.
        const string never = "ftjob-000000000000000000000000";
        foreach (var (post, path) in new[] { (false, ""), (false, "/events"), (false, "/checkpoints"), (true, "/cancel"), (true, "/pause"), (true, "/resume") })
        {
            var hidden = await ApiAssert.ErrorAsync(post ? await a.Post($"{Jobs}/{bJob}{path}", null!) : await a.Get($"{Jobs}/{bJob}{path}"), 404, "fine_tuning_job_id");
            var absent = await ApiAssert.ErrorAsync(post ? await a.Post($"{Jobs}/{never}{path}", null!) : await a.Get($"{Jobs}/{never}{path}"), 404, "fine_tuning_job_id");
            Assert.Equal(absent.GetProperty("code").GetString(), hidden.GetProperty("code").GetString());
        }
        // A's list leaves B's job out, and B's id is no cursor for A.
        Assert.Empty(Ids(await ApiAssert.OkAsync(await a.Get(Jobs))));
        await ApiAssert.ErrorAsync(await a.Get($"{Jobs}?after={bJob}"), 400, "after");

        // A cannot start a job on B's model or on either of B's files (each refusal names the parameter).
        await ApiAssert.ErrorAsync(await a.PostJson(Jobs, JobFixtures.CreateBody("b-tiny", aTraining, aValidation)), 400, "model");
        await ApiAssert.ErrorAsync(await a.PostJson(Jobs, JobFixtures.CreateBody("a-tiny", bTraining, aValidation)), 400, "training_file");
        await ApiAssert.ErrorAsync(await a.PostJson(Jobs, JobFixtures.CreateBody("a-tiny", aTraining, bValidation)), 400, "validation_file");
        Assert.Empty(Ids(await ApiAssert.OkAsync(await a.Get(Jobs))));

        // B still sees and controls its job, untouched by A's attempts.
        Assert.Equal([bJob], Ids(await ApiAssert.OkAsync(await b.Get(Jobs))));
        var mine = await ApiAssert.OkAsync(await b.Get($"{Jobs}/{bJob}"));
        Assert.NotEqual("cancelled", mine.GetProperty("status").GetString());
        await ApiAssert.OkAsync(await b.Post($"{Jobs}/{bJob}/cancel", null!));
        await JobFixtures.WaitForAsync(b, bJob, JobFixtures.Terminal);
    }

    private static List<string?> Ids(JsonElement list) => list.GetProperty("data").EnumerateArray().Select(x => x.GetProperty("id").GetString()).ToList();
}
