using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Blob paths of a job (derived from job, step, split and shard, so a re-delivered activity writes the same place)
/// and JSON payloads tagged with the hash of the input that produced them: an activity that finds its output with the
/// same input hash returns it instead of recomputing.
/// </summary>
public static class JobBlobs
{
    private const string InputHashKey = "inputhash";

    /// <summary>Rollout samples of a shard.</summary>
    public static string Rollout(string jobId, int step, string split, int shard) => $"{jobId}/steps/{step}/{split}/rollout-{shard:D4}.json";

    /// <summary>Grades of a shard.</summary>
    public static string Grade(string jobId, int step, string split, int shard) => $"{jobId}/steps/{step}/{split}/grade-{shard:D4}.json";

    /// <summary>Trainer state after 0-based <paramref name="step"/> (policy v = step + 1).</summary>
    public static string State(string jobId, int step) => $"{jobId}/steps/{step}/state";

    /// <summary>A checkpoint folder (1-based step number).</summary>
    public static string Checkpoint(string jobId, int stepNumber) => $"{jobId}/checkpoints/{stepNumber}";

    /// <summary>The final model folder.</summary>
    public static string Final(string jobId) => $"{jobId}/final";

    /// <summary>SHA-256 (hex) of an input's JSON.</summary>
    public static string HashOf<T>(T input) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(input)));

    /// <summary>The payload at <paramref name="name"/> when it was written for the same input hash, else default.</summary>
    public static async Task<T?> TryReadAsync<T>(BlobContainerClient container, string name, string inputHash, CancellationToken cancellationToken)
    {
        try
        {
            var content = await container.GetBlobClient(name).DownloadContentAsync(cancellationToken);
            return content.Value.Details.Metadata.TryGetValue(InputHashKey, out var hash) && hash == inputHash
                ? content.Value.Content.ToObjectFromJson<T>()
                : default;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return default;
        }
    }

    /// <summary>Reads a payload that must exist.</summary>
    public static async Task<T> ReadAsync<T>(BlobContainerClient container, string name, CancellationToken cancellationToken)
    {
        var content = await container.GetBlobClient(name).DownloadContentAsync(cancellationToken);
        return content.Value.Content.ToObjectFromJson<T>()
            ?? throw new InvalidDataException($"blob {container.Name}/{name} holds no {typeof(T).Name}");
    }

    /// <summary>Writes a payload tagged with <paramref name="inputHash"/> (one upload: it is whole or absent).</summary>
    public static Task WriteAsync<T>(BlobContainerClient container, string name, T value, string inputHash, CancellationToken cancellationToken) =>
        container.GetBlobClient(name).UploadAsync(BinaryData.FromObjectAsJson(value), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { [InputHashKey] = inputHash },
        }, cancellationToken);

    /// <summary>Deletes every blob under <paramref name="prefix"/>.</summary>
    public static async Task DeletePrefixAsync(BlobContainerClient container, string prefix, CancellationToken cancellationToken)
    {
        await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix + "/", cancellationToken))
            await container.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken);
    }
}

/// <summary>One sampled completion as stored in a rollout blob.</summary>
public sealed record StoredSample(int Example, int Sample, IReadOnlyList<int> PromptIds, IReadOnlyList<int> CompletionIds,
    IReadOnlyList<float> LogProbs, string Text, bool Truncated);

/// <summary>A rollout blob.</summary>
public sealed record StoredRollout(IReadOnlyList<StoredSample> Samples, RolloutResult Result);

/// <summary>One graded sample as stored in a grade blob.</summary>
public sealed record StoredGrade(double Reward, IReadOnlyDictionary<string, double> SubRewards, IReadOnlyList<string> Errors);

/// <summary>A grade blob.</summary>
public sealed record StoredGrades(IReadOnlyList<StoredGrade> Grades, GradeResult Result);
