using System.Text.Json;
using Azure.Storage.Blobs.Models;
using RftFunctions.Demo.Genes;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Demo.Tests;

/// <summary>
/// <c>rft-demo --reduced</c> as a user runs it, as an OS process on the test Azurite: it starts its host, registers
/// the base model from the models container, drops the datasets, creates the job through the API and writes the
/// report. Then a second, one-step run reuses the cached base model.
/// </summary>
public sealed class DemoPipelineTests(StorageFixture storage)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_reduced_demo_runs_through_the_platform_and_writes_a_report()
    {
        var root = Directory.CreateTempSubdirectory("rft-demo-test-");
        var prefix = storage.UniqueName("d").Replace("-", "", StringComparison.Ordinal);
        var environment = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__StoragePrefix"] = prefix,
            ["Rft__ModelCacheDirectory"] = Path.Combine(root.FullName, "serving"),
            ["Rft__Jobs__BaseModelCacheDirectory"] = Path.Combine(root.FullName, "workers"),
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = prefix + "hub",
        };
        try
        {
            var recipe = DemoRecipe.Reduced;
            var cache = Path.Combine(root.FullName, "cache");
            var workingDirectory = Path.Combine(root.FullName, "user");
            string output;
            // No --out: the report lands in the folder the user ran the command from.
            await using (var demo = DemoProcess.Start(environment, workingDirectory, ["--reduced", "--seed", "7", "--cache", cache]))
            {
                var exit = await demo.WaitForExitAsync(TimeSpan.FromMinutes(10), _ct);
                output = demo.Output;
                Assert.True(exit == 0, output);
            }
            var report = Assert.Single(Directory.GetDirectories(workingDirectory, "rft-demo-*"));
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal($"report: {report}", lines[^1]);
            // The dashboard URL (with the key in the fragment) comes before the job's first step.
            int dashboard = Array.FindIndex(lines, l => l.StartsWith("dashboard: http://127.0.0.1:", StringComparison.Ordinal) && l.Contains("/dashboard#key=sk-", StringComparison.Ordinal));
            int firstStep = Array.FindIndex(lines, l => l.StartsWith("rft 1/", StringComparison.Ordinal));
            Assert.True(dashboard >= 0 && dashboard < firstStep, output);
            // One progress line per step, from the job's metrics events, in order.
            Assert.Equal(Enumerable.Range(1, recipe.Steps).Select(k => $"rft {k}/{recipe.Steps}"),
                lines.Where(l => l.StartsWith("rft ", StringComparison.Ordinal)).Select(l => string.Join(' ', l.Split(' ').Take(2))));

            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "report.json")));
            var r = json.RootElement;
            foreach (var field in new[] { "top1_before", "top1_after", "top5_before", "top5_after", "topmax_before", "topmax_after", "reasoned_before", "reasoned_after" })
                Assert.InRange(r.GetProperty(field).GetDouble(), 0, 1);
            var jobId = r.GetProperty("job_id").GetString()!;
            Assert.StartsWith("ftjob-", jobId, StringComparison.Ordinal);
            var baseModel = r.GetProperty("base_model").GetString()!;
            Assert.Equal($"ft:{baseModel}:gene-demo:{jobId}", r.GetProperty("fine_tuned_model").GetString());
            Assert.Equal(recipe.Steps, r.GetProperty("steps").GetInt32());
            foreach (var phase in new[] { "base_model", "platform_start", "upload", "job", "evaluation", "total" })
                Assert.True(r.GetProperty("timings_seconds").GetProperty(phase).GetDouble() >= 0, phase);
            var train = r.GetProperty("train_reward").EnumerateArray().Select(p => (Step: p.GetProperty("step").GetInt32(), Reward: p.GetProperty("reward").GetDouble())).ToList();
            Assert.All(train, p => Assert.InRange(p.Reward, 0, 1));
            // The reduced recipe is chosen so training reward rises (measured through the platform, seed 7: the last three
            // steps average 0.10 above the first three).
            Assert.True(train.TakeLast(3).Average(p => p.Reward) > train.Take(3).Average(p => p.Reward) + 0.05,
                "train reward did not rise: " + string.Join(", ", train.Select(p => p.Reward.ToString("F3", System.Globalization.CultureInfo.InvariantCulture))));
            Assert.Equal(Enumerable.Range(1, recipe.Steps), train.Select(p => p.Step));
            int validations = Enumerable.Range(1, recipe.Steps).Count(s => s % recipe.Training.EvalInterval == 0 || s == recipe.Steps);
            Assert.Equal(validations, r.GetProperty("valid_reward").GetArrayLength());
            // The charts: real PNGs of the stated size, each shown by report.html, and the console says where they are.
            var html = File.ReadAllText(Path.Combine(report, "report.html"));
            foreach (var png in DemoPlots.FileNames)
            {
                PngImage.AssertChart(Path.Combine(report, png), DemoPlots.Width, DemoPlots.Height);
                Assert.Contains($"<img src=\"{png}\"", html, StringComparison.Ordinal);
                Assert.Contains(Path.Combine(report, png), output, StringComparison.Ordinal);
            }
            Assert.Equal(3, html.Split("<h3>Case").Length - 1);
            Assert.Equal(recipe.TrainCases, File.ReadLines(Path.Combine(report, "train.jsonl")).Count());
            var trainGenes = File.ReadLines(Path.Combine(report, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reference_answer").GetString()).ToHashSet();
            var validGenes = File.ReadLines(Path.Combine(report, "valid.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reference_answer").GetString()).ToHashSet();
            Assert.Empty(trainGenes.Intersect(validGenes));

            // The job ran exactly the recipe's training config (hyperparameters plus the trainer extension).
            var blobs = storage.Account.CreateBlobServiceClient();
            var spec = (await blobs.GetBlobContainerClient(prefix + "jobs").GetBlobClient(TrainingJobSpec.BlobName(jobId)).DownloadContentAsync(_ct))
                .Value.Content.ToObjectFromJson<TrainingJobSpec>()!;
            Assert.Equal(JsonSerializer.Serialize(recipe.TrainingFor(7)), JsonSerializer.Serialize(spec.Config));
            using (var request = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "job_request.json"))))
                Assert.Equal("full", request.RootElement.GetProperty("method").GetProperty("reinforcement").GetProperty("trainer").GetProperty("mode").GetString());
            // The base model sits in the development project's folder of the models container, registered by prefix; the datasets came in through the drop zone.
            var modelBlobs = new List<string>();
            await foreach (var blob in blobs.GetBlobContainerClient(prefix + "models").GetBlobsAsync(new GetBlobsOptions { Prefix = "default/demo-base/" }, _ct)) modelBlobs.Add(blob.Name);
            Assert.Contains(modelBlobs, n => n.EndsWith("/config.json", StringComparison.Ordinal));
            var dropped = new List<string>();
            await foreach (var blob in blobs.GetBlobContainerClient(prefix + "datasets").GetBlobsAsync(cancellationToken: _ct)) dropped.Add(blob.Name);
            Assert.Equal(2, dropped.Count);

            // A second run (one step) builds nothing and uploads no model again: the base model comes from both caches.
            await using (var again = DemoProcess.Start(environment, workingDirectory, ["--reduced", "--cases", recipe.Training.PromptsPerStep.ToString(System.Globalization.CultureInfo.InvariantCulture), "--epochs", "1", "--valid-cases", "3", "--seed", "7", "--out", Path.Combine(root.FullName, "again"), "--cache", cache]))
            {
                var exit = await again.WaitForExitAsync(TimeSpan.FromMinutes(10), _ct);
                Assert.True(exit == 0, again.Output);
                Assert.Contains("base model from cache", again.Output, StringComparison.Ordinal);
            }
            using var second = JsonDocument.Parse(File.ReadAllText(Path.Combine(root.FullName, "again", "report.json")));
            Assert.False(second.RootElement.GetProperty("base_model_built").GetBoolean());
            Assert.Equal(baseModel, second.RootElement.GetProperty("base_model").GetString());
            Assert.Equal(1, second.RootElement.GetProperty("steps").GetInt32());
        }
        catch
        {
            // The report folder (host log, job request, inputs) is what explains a failure.
            Console.Error.WriteLine($"demo test failed; its files are kept in {root.FullName}");
            throw;
        }
        root.Delete(recursive: true);
    }
}
