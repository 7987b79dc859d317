using System.Diagnostics;
using System.Text.Json;
using RftFunctions.Graders.Batch;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Templates;
using RftFunctions.Model;
using RftFunctions.Training.Datasets;
using RftFunctions.Training.Demo;
using RftFunctions.Training.Trainer;

namespace RftFunctions.Functions.Demo;

/// <summary>One point of a reward curve.</summary>
/// <param name="Step">1-based step.</param>
/// <param name="Reward">Mean reward.</param>
public sealed record CurvePoint(int Step, double Reward);

/// <summary>What a demo run measured.</summary>
public sealed record DemoResult
{
    /// <summary>The job id.</summary>
    public required string JobId { get; init; }

    /// <summary>Held-out scores of the base model.</summary>
    public required DemoScores Before { get; init; }

    /// <summary>Held-out scores of the fine-tuned model.</summary>
    public required DemoScores After { get; init; }

    /// <summary>Mean training reward per step.</summary>
    public required IReadOnlyList<CurvePoint> TrainRewards { get; init; }

    /// <summary>Mean validation reward at each validation.</summary>
    public required IReadOnlyList<CurvePoint> ValidRewards { get; init; }

    /// <summary>The held-out cases (for the report's examples).</summary>
    public required IReadOnlyList<GeneCase> ValidCases { get; init; }

    /// <summary>Seconds per phase (base_model, rft, evaluation, total).</summary>
    public required IReadOnlyDictionary<string, double> Timings { get; init; }

    /// <summary>True when the base model was built in this run (not loaded from the cache).</summary>
    public required bool BaseModelBuilt { get; init; }

    /// <summary>The cached base model folder.</summary>
    public required string BaseModelDirectory { get; init; }
}

/// <summary>
/// The gene-ranking demo in process: writes the JSONL files and grader a user would upload, gets the base model
/// (cached), measures held-out Top-k, runs GRPO on training genes graded by the ranked_list grader, validates every
/// few steps, and measures again.
/// </summary>
public static class DemoRunner
{
    /// <summary>Runs the demo, writing its inputs into <paramref name="directory"/>.</summary>
    public static async Task<DemoResult> RunAsync(DemoOptions options, string directory, DemoProgress progress, CancellationToken ct = default)
    {
        var total = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>();
        var recipe = options.Recipe;
        var ontology = GeneOntology.Create(options.Seed, recipe.Ontology);
        var generator = new GeneCaseGenerator(ontology, recipe.Cases);
        var train = generator.Generate([.. ontology.Genes.Where(g => !ontology.IsValidation(g))], recipe.TrainCases, options.Seed + 1);
        var valid = generator.Generate([.. ontology.Genes.Where(ontology.IsValidation)], recipe.ValidCases, options.Seed + 2);
        Directory.CreateDirectory(directory);
        DemoDataset.WriteJsonl(Path.Combine(directory, "train.jsonl"), train);
        DemoDataset.WriteJsonl(Path.Combine(directory, "valid.jsonl"), valid);
        File.WriteAllText(Path.Combine(directory, "grader.json"), DemoDataset.GraderJson);
        progress.Line($"data: {train.Count} training cases ({ontology.Genes.Count(g => !ontology.IsValidation(g))} genes), " +
                      $"{valid.Count} validation cases ({ontology.Genes.Count(ontology.IsValidation)} other genes)");

        var clock = Stopwatch.StartNew();
        var (baseDirectory, built) = DemoBaseModelCache.GetOrBuild(options, generator, (s, t, l) => progress.Bar("base model", s, t, $"loss {l:F3}"),
            d => progress.Line($"building the base model (pretraining on the ontology's facts, then a warm-up on the answer format) into {d}"));
        timings["base_model"] = clock.Elapsed.TotalSeconds;
        progress.Line(built ? $"base model built in {clock.Elapsed.TotalSeconds:F0} s: {baseDirectory}" : $"base model from cache: {baseDirectory}");

        using var model = ModelFolder.Load(baseDirectory);
        clock.Restart();
        var before = DemoEvaluation.Score(model, valid);
        progress.Line($"before: held-out top-1 {before.Top1:P0}, top-5 {before.Top5:P0}, top-max {before.TopMax:P0}");
        timings["evaluation"] = clock.Elapsed.TotalSeconds;

        var grader = GraderCompiler.Compile(GraderConfigJson.Parse(DemoDataset.GraderJson));
        using var trainItems = JsonDocument.Parse("[" + string.Join(",", train.Select(DemoDataset.ToJsonLine)) + "]");
        using var validItems = JsonDocument.Parse("[" + string.Join(",", valid.Select(DemoDataset.ToJsonLine)) + "]");
        var config = recipe.TrainingFor(options.Seed);
        var schedule = recipe.Schedule(options.Seed);
        var tokenizer = new ByteTokenizer();
        var trainCurve = new List<CurvePoint>();
        var validCurve = new List<CurvePoint>();
        var jobId = $"ftjob-demo-{options.Seed}-{DateTime.UtcNow:yyyyMMddHHmmss}";
        clock.Restart();
        using (var trainer = new PolicyTrainer(model, config, options.Steps))
        {
            for (int step = 0; step < options.Steps; step++)
            {
                ct.ThrowIfCancellationRequested();
                var order = schedule.ForStep(step).ExampleIndices;
                var requests = order.Select(i => new GenerationRequest(tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(train[i])),
                    new SamplingParameters { N = config.SamplesPerPrompt, MaxTokens = config.MaxCompletionTokens, Temperature = config.Temperature, Seed = (long)(SeededRandom.For(options.Seed, 1, step, i).NextUInt64() >> 1) })).ToList();
                model.eval();
                var generated = new TextGenerator(model, tokenizer).Generate(requests).OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex).ToList();
                var rewards = await GradeAsync(grader, generated.Select(s => (s.Text, trainItems.RootElement[order[s.RequestIndex]])).ToList(), ct);
                var samples = generated.Select((s, k) => new RolloutSample(requests[s.RequestIndex].PromptIds, s.TokenIds, s.LogProbs, rewards[k], s.FinishReason == FinishReason.Length)).ToList();
                var metrics = trainer.Update(samples, step);
                trainCurve.Add(new CurvePoint(step + 1, metrics.RewardMean));
                if ((step + 1) % config.EvalInterval == 0 || step + 1 == options.Steps)
                    validCurve.Add(new CurvePoint(step + 1, await ValidRewardAsync(model, grader, valid, validItems.RootElement, ct)));
                var elapsed = clock.Elapsed.TotalSeconds;
                var eta = elapsed / (step + 1) * (options.Steps - step - 1);
                progress.Bar("rft", step + 1, options.Steps,
                    $"train reward {metrics.RewardMean:F3}  valid reward {(validCurve.Count > 0 ? validCurve[^1].Reward.ToString("F3") : "-")}  ETA {TimeSpan.FromSeconds(eta):mm\\:ss}");
            }
        }
        timings["rft"] = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var after = DemoEvaluation.Score(model, valid);
        timings["evaluation"] += clock.Elapsed.TotalSeconds;
        progress.Line($"after:  held-out top-1 {after.Top1:P0}, top-5 {after.Top5:P0}, top-max {after.TopMax:P0}");
        timings["total"] = total.Elapsed.TotalSeconds;
        return new DemoResult
        {
            JobId = jobId,
            Before = before,
            After = after,
            TrainRewards = trainCurve,
            ValidRewards = validCurve,
            ValidCases = valid,
            Timings = timings,
            BaseModelBuilt = built,
            BaseModelDirectory = baseDirectory,
        };
    }

    private static async Task<double> ValidRewardAsync(DecoderModel model, CompiledGrader grader, IReadOnlyList<GeneCase> valid, System.Text.Json.JsonElement items, CancellationToken ct)
    {
        var tokenizer = new ByteTokenizer();
        model.eval();
        var requests = valid.Select(c => new GenerationRequest(tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(c)),
            new SamplingParameters { MaxTokens = 48, Temperature = 0 })).ToList();
        var outputs = new TextGenerator(model, tokenizer).Generate(requests).OrderBy(s => s.RequestIndex).ToList();
        var rewards = await GradeAsync(grader, outputs.Select(o => (o.Text, items[o.RequestIndex])).ToList(), ct);
        return rewards.Average();
    }

    private static async Task<double[]> GradeAsync(CompiledGrader grader, IReadOnlyList<(string Text, System.Text.Json.JsonElement Item)> outputs, CancellationToken ct)
    {
        var batch = new BatchGrader(grader, GraderServices.None, new BatchGradingOptions { MaxConcurrency = 2 });
        var results = await batch.GradeAsync([.. outputs.Select(o => GradingContext.Create(GradingSample.Create(o.Text), o.Item))], ct);
        return [.. results.Select(r => r.Reward)];
    }
}
