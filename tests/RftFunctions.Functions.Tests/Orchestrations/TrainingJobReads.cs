using System.Globalization;
using RftFunctions.Functions.Orchestrations;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>What crash-resume and evaluation tests compare between runs: the metrics events' numbers and the final weights.</summary>
internal static class TrainingJobReads
{
    /// <summary>One line per metrics event, oldest first: step, train and valid reward, loss and grad norm (round-trip format).</summary>
    public static async Task<List<string>> NumbersAsync(TrainingTestHost host, string jobId) =>
        [.. (await host.EventsAsync(jobId)).Where(e => e.Type == "metrics").Select(e => Numbers(e.Data!.Value))];

    /// <summary>A metrics event's <c>data</c> as one line: step, train and valid reward, loss and grad norm.</summary>
    public static string Numbers(System.Text.Json.JsonElement d)
    {
        var scores = d.GetProperty("scores");
        var diagnostics = d.GetProperty("diagnostics");
        var valid = scores.TryGetProperty("valid_reward_mean", out var v) ? v.GetDouble().ToString("R", CultureInfo.InvariantCulture) : "-";
        return string.Create(CultureInfo.InvariantCulture,
            $"{d.GetProperty("step")} {scores.GetProperty("train_reward_mean").GetDouble():R} {valid} {diagnostics.GetProperty("loss").GetDouble():R} {diagnostics.GetProperty("grad_norm").GetDouble():R}");
    }

    /// <summary>The final LoRA adapter's bytes.</summary>
    public static async Task<byte[]> FinalAdapterAsync(TrainingTestHost host, string jobId) =>
        (await host.Store.Container.GetBlobClient($"{JobBlobs.Final(jobId)}/policy/adapter_model.safetensors")
            .DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToArray();
}
