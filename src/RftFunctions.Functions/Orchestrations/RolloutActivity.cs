using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Model;
using RftFunctions.Training.Checkpoints;
using RftFunctions.Training.Datasets;
using RftFunctions.Training.Trainer;
using ModelChat = RftFunctions.Model.Tokenization.Chat.ChatMessage;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// The sampling half of <see cref="RolloutAndGradeActivity"/> (not registered on its own). Samples G completions per
/// example of a shard under one policy version and writes them (token ids, log-probs, text) to
/// <c>steps/{step}/{split}/rollout-{shard}.json</c>. Each request's sampling seed is f(job seed, split, step, position
/// in the step, example) (<see cref="RolloutSeeds"/>), so a re-delivery or a resumed job draws the same tokens and an
/// example that appears twice in a step draws two different groups.
/// </summary>
public sealed class RolloutActivity(JobWorkspace workspace, JobStorageOptions jobOptions, WorkerShutdown shutdown) : TaskActivity<RolloutInput, RolloutResult>
{
    /// <inheritdoc />
    public override async Task<RolloutResult> RunAsync(TaskActivityContext context, RolloutInput input)
    {
        var ct = shutdown.Token;
        await using var cancel = await JobCancellation.WatchAsync(workspace.Store, input.JobId, ct);
        var container = workspace.Store.Container;
        var name = JobBlobs.Rollout(input.JobId, input.Step, input.Split, input.Shard);
        var hash = JobBlobs.HashOf(input);
        var existing = await JobBlobs.TryReadAsync<StoredRollout>(container, name, hash, ct);
        if (existing is not null) return existing.Result;

        var started = DateTime.UtcNow;
        var job = await workspace.GetJobAsync(input.JobId, ct);
        var examples = input.Split == Split.Train ? job.Train : job.Valid;
        var config = job.Spec.Config;
        var requests = input.ExampleIndices.Select((index, i) =>
        {
            var messages = examples[index].Messages.Select(m => new ModelChat(m.Role, m.Content)).ToList();
            var prompt = job.Tokenizer.Encode(job.Format.Render(messages));
            var seed = RolloutSeeds.For(config.Seed, input.Split == Split.Train ? 1 : 2, input.Step, input.FirstPosition + i, index);
            return new GenerationRequest(prompt, new SamplingParameters
            {
                N = input.SamplesPerPrompt,
                Seed = seed,
                MaxTokens = config.MaxCompletionTokens,
                Temperature = config.Temperature,
                TopP = config.TopP,
                Stop = job.Spec.Stop,
            });
        }).ToList();

        // Refused before the model is loaded or anything allocated: a step that cannot fit fails its job, not the worker.
        var shape = ModelConfig.Load(Path.Combine(job.Spec.BaseModelDirectory, "config.json"));
        var longestPrompt = requests.Max(r => r.PromptIds.Count);
        StepMemoryGuard.Check(jobOptions, $"Step {input.Step + 1}'s rollout ({input.Split}, shard {input.Shard})",
            StepMemoryEstimate.Rollout(shape, requests.Sum(r => r.Parameters.N), longestPrompt,
                Math.Min(config.MaxCompletionTokens, Math.Max(1, shape.MaxPositionEmbeddings - longestPrompt))),
            "lower max_completion_tokens, batch_size or compute_multiplier (samples per prompt)");

        var policy = workspace.RolloutPolicyOf(input.JobId);
        IReadOnlyList<GeneratedSample> generated;
        await policy.Lock.WaitAsync(ct);
        try
        {
            using var turn = await workspace.TakeDeviceTurnAsync(ct);
            await EnsureVersionAsync(policy, job, input.PolicyPrefix, ct);
            generated = cancel.Run(token => new TextGenerator(policy.Model!, job.Tokenizer).GenerateCancellable(requests, token));
        }
        finally
        {
            policy.Lock.Release();
        }

        var samples = generated.OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex)
            .Select(s => new StoredSample(input.ExampleIndices[s.RequestIndex], s.SampleIndex, requests[s.RequestIndex].PromptIds,
                s.TokenIds, s.LogProbs, s.Text, s.FinishReason == FinishReason.Length))
            .ToList();
        var result = new RolloutResult(name, samples.Count, samples.Sum(s => (long)s.CompletionIds.Count), (DateTime.UtcNow - started).TotalSeconds);
        await JobBlobs.WriteAsync(container, name, new StoredRollout(samples, result), hash, ct);
        return result;
    }

    /// <summary>Loads the base model once and swaps in only what a new policy version changed (the LoRA adapter).</summary>
    private async Task EnsureVersionAsync(RolloutPolicy policy, JobContext job, string? prefix, CancellationToken ct)
    {
        if (policy.Model is not null && policy.Version == prefix) return;
        var container = workspace.Store.Container;
        var manifest = prefix is null ? null : await TrainerStateStore.ReadManifestAsync(container, prefix, ct)
            ?? throw new InvalidOperationException($"policy version {prefix} has no manifest.json (incomplete state)");
        bool lora = manifest?.PolicyFormat == TrainerStateManifest.LoraFormat;
        bool baseLoaded = policy.Model is not null && (policy.Version is null || Lora.Adapters(policy.Model).Any());
        if (manifest is null || !lora || !baseLoaded)
        {
            policy.Model?.Dispose();
            policy.Model = null;
            policy.Model = manifest is null
                ? ModelFolder.Load(job.Spec.BaseModelDirectory, workspace.Device)
                : await TrainerStateStore.LoadPolicyAsync(container, prefix!, manifest, job.Spec.BaseModelDirectory, ct, workspace.Device);
        }
        else
        {
            // The base weights stay; only the adapter of the new version is read.
            var temp = Directory.CreateTempSubdirectory("rft-adapter-");
            try
            {
                await TrainerStateStore.DownloadPolicyAsync(container, prefix!, manifest, temp.FullName, ct);
                Lora.Load(policy.Model!, temp.FullName);
            }
            finally
            {
                temp.Delete(recursive: true);
            }
        }
        policy.Model!.eval();
        policy.Version = prefix;
    }
}
