using System.Text.Json;
using RftFunctions.Functions.Demo;
using RftFunctions.Training.Demo;
using Xunit;

namespace RftFunctions.Functions.Tests.Demo;

public sealed class DemoPipelineTests
{
    [Fact]
    public async Task The_demo_at_reduced_size_completes_and_writes_a_report_with_every_field()
    {
        var root = Directory.CreateTempSubdirectory("rft-demo-test-");
        try
        {
            var options = new DemoOptions
            {
                Recipe = DemoRecipe.Reduced,
                CacheDirectory = Path.Combine(root.FullName, "cache"),
            };
            Assert.Equal(6, options.Steps);
            var report = Path.Combine(root.FullName, "report");
            var output = new StringWriter();
            var result = await DemoRunner.RunAsync(options, report, new DemoProgress(output, interactive: false), TestContext.Current.CancellationToken);
            DemoReport.Write(report, result, options);

            Assert.True(result.BaseModelBuilt);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "report.json")));
            foreach (var field in new[] { "top1_before", "top1_after", "top5_before", "top5_after", "topmax_before", "topmax_after" })
                Assert.InRange(json.RootElement.GetProperty(field).GetDouble(), 0, 1);
            Assert.StartsWith("ftjob-", json.RootElement.GetProperty("job_id").GetString());
            Assert.True(json.RootElement.GetProperty("timings_seconds").GetProperty("total").GetDouble() > 0);
            Assert.Equal(6, json.RootElement.GetProperty("train_reward").GetArrayLength());
            Assert.Equal(2, json.RootElement.GetProperty("valid_reward").GetArrayLength());
            foreach (var png in new[] { "train_reward.png", "valid_reward.png" })
                Assert.Equal(0x89, File.ReadAllBytes(Path.Combine(report, png))[0]);
            var html = File.ReadAllText(Path.Combine(report, "report.html"));
            Assert.Contains("train_reward.png", html);
            Assert.Equal(3, html.Split("<h3>Case").Length - 1);
            Assert.Equal(48, File.ReadLines(Path.Combine(report, "train.jsonl")).Count());
            Assert.Contains("rft 6/6", output.ToString());

            // Inputs a user would upload: validation genes never appear in training.
            var trainGenes = File.ReadLines(Path.Combine(report, "train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reference_answer").GetString()).ToHashSet();
            var validGenes = File.ReadLines(Path.Combine(report, "valid.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("reference_answer").GetString()).ToHashSet();
            Assert.Empty(trainGenes.Intersect(validGenes));

            // A second run with the same configuration loads the cached base model.
            var again = await DemoRunner.RunAsync(options with { Recipe = options.Recipe with { TrainCases = options.Recipe.Training.PromptsPerStep } }, Path.Combine(root.FullName, "again"), new DemoProgress(TextWriter.Null, false), TestContext.Current.CancellationToken);
            Assert.False(again.BaseModelBuilt);
            Assert.Equal(result.BaseModelDirectory, again.BaseModelDirectory);
            Assert.Equal(result.Before.Top1, again.Before.Top1);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
