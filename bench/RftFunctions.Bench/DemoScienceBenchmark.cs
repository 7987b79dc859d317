using System.Diagnostics;
using System.Text.Json;
using RftFunctions.Demo;
using RftFunctions.Demo.Genes;
using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Datasets;
using RftFunctions.Training.Grpo;
using RftFunctions.Training.Trainer;

namespace RftFunctions.Bench;

/// <summary>
/// The gene-ranking demo's science, in process: build the base model, measure greedy held-out Top-1, run GRPO with
/// rank rewards on training genes, measure again. Used to choose the demo's seeded configuration. The RFT part runs
/// twice from the same base model and seed, without and with DAPO dynamic sampling, and the JSON line at the end
/// carries both learning curves (train reward, zero-std fraction, refills, held-out Top-1 at each eval).
/// </summary>
public sealed class DemoScienceBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "demo-science";

    /// <inheritdoc />
    public string Description => "gene-ranking demo: base model build + in-process RFT, held-out Top-1 before/after";

    /// <inheritdoc />
    public Task<int> RunAsync(string[] args)
    {
        var opts = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        double D(string k, double d) => opts.TryGetValue(k, out var v) ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : d;
        int I(string k, int d) => (int)D(k, d);
        long seed = I("seed", 7);
        torch_set(I("threads", 1));
        var recipe = Recipe(opts.GetValueOrDefault("recipe", "default") == "reduced" ? DemoRecipe.Reduced : DemoRecipe.Default, I, D, opts);
        var ontology = GeneOntology.Create(seed, recipe.Ontology);
        var generator = new GeneCaseGenerator(ontology, recipe.Cases);
        var trainGenes = ontology.Genes.Where(g => !ontology.IsValidation(g)).ToList();
        var validGenes = ontology.Genes.Where(ontology.IsValidation).ToList();
        var train = generator.Generate(trainGenes, recipe.TrainCases, seed + 1);
        var valid = generator.Generate(validGenes, recipe.ValidCases, seed + 2);
        var baseOptions = recipe.BaseModel;
        var clock = Stopwatch.StartNew();
        DecoderModel model;
        if (opts.TryGetValue("load", out var load)) model = ModelFolder.Load(load);
        else
        {
            model = DemoBaseModelBuilder.Build(generator, baseOptions, seed, (s, t, l) =>
            {
                if (s % 25 == 0) Console.WriteLine($"base {s}/{t} loss {l:F3} {clock.Elapsed.TotalSeconds:F0}s");
            });
            if (opts.TryGetValue("save", out var save)) ModelFolder.Save(model, save);
        }
        double buildSeconds = clock.Elapsed.TotalSeconds;
        var tokenizer = DemoBaseModelBuilder.Tokenizer(ontology, recipe.BaseModel);
        var before = Evaluate(model, tokenizer, valid);
        var beforeTrain = Evaluate(model, tokenizer, train.Take(48).ToList());
        Console.WriteLine($"before: valid top1 {before.Top1:F3} top5 {before.Top5:F3} | train top1 {beforeTrain.Top1:F3} ({buildSeconds:F0}s)");

        var config = recipe.TrainingFor(seed);
        // The same base model and seed with and without DAPO dynamic sampling (dynamic=off|on|both), so the learning
        // curves compare like for like.
        var modes = opts.GetValueOrDefault("dynamic", "both") switch
        {
            "on" => new[] { true },
            "off" => [false],
            _ => [false, true],
        };
        var baseFolder = Directory.CreateTempSubdirectory("rft-demo-science-").FullName;
        ModelFolder.Save(model, baseFolder);
        model.Dispose();
        var runs = new List<object>();
        try
        {
            foreach (var dynamic in modes)
            {
                using var policy = ModelFolder.Load(baseFolder);
                runs.Add(RunRft(policy, tokenizer, train, valid, recipe, config with { DynamicSampling = dynamic }, seed));
            }
        }
        finally
        {
            Directory.Delete(baseFolder, recursive: true);
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            seed,
            recipe = opts.GetValueOrDefault("recipe", "default"),
            top1_before = before.Top1,
            top5_before = before.Top5,
            train_top1_before = beforeTrain.Top1,
            build_seconds = buildSeconds,
            runs,
        }));
        return Task.FromResult(0);
    }

    /// <summary>One RFT run as the job runs it (prompt schedule, seeds by position, refills by
    /// <see cref="PromptSchedule.Refill"/>, groups kept by <see cref="DynamicSampling.KeptGroups"/>); its learning curve.</summary>
    private static object RunRft(DecoderModel model, ITextTokenizer tokenizer, IReadOnlyList<GeneCase> train, IReadOnlyList<GeneCase> valid,
        DemoRecipe recipe, RftTrainingConfig config, long seed)
    {
        var schedule = recipe.Schedule(seed);
        int steps = schedule.TotalSteps;
        var rl = Stopwatch.StartNew();
        using var trainer = new PolicyTrainer(model, config, steps);
        var curve = new List<object>();
        long sampledCompletions = 0;
        for (int step = 0; step < steps; step++)
        {
            var prompts = schedule.ForStep(step).ExampleIndices;
            var samples = Sample(model, tokenizer, train, config, step, prompts, 0);
            int rounds = 0, position = prompts.Count;
            double Signal() => DynamicSampling.GroupsWithSignal(samples.Select(s => config.ShapedReward(s.Reward, s.CompletionIds.Count)).ToArray(), config.SamplesPerPrompt);
            while (config.DynamicSampling && Signal() < config.PromptsPerStep && rounds < config.DynamicSamplingMaxRounds)
            {
                rounds++;
                int groups = samples.Count / config.SamplesPerPrompt;
                var refill = schedule.Refill(step, rounds, DynamicSampling.RefillSize(config.PromptsPerStep - (int)Signal(), groups, (int)Signal(), config.PromptsPerStep));
                samples.AddRange(Sample(model, tokenizer, train, config, step, refill, position));
                position += refill.Count;
            }
            sampledCompletions += samples.Count;
            double sampledReward = samples.Average(s => s.Reward);
            int g = config.SamplesPerPrompt;
            var batch = config.DynamicSampling
                ? DynamicSampling.KeptGroups(samples.Select(s => config.ShapedReward(s.Reward, s.CompletionIds.Count)).ToArray(), g, config.PromptsPerStep)
                    .SelectMany(k => samples.Skip(k * g).Take(g)).ToList()
                : samples;
            double zeroStd = 1 - (Signal() / (samples.Count / (double)g));
            var metrics = trainer.Update(batch, step);
            string line = $"[dynamic={config.DynamicSampling}] step {step + 1}/{steps} reward {sampledReward:F3} zero-std {zeroStd:F2} rounds {rounds} len {metrics.CompletionLengthMean:F0} {rl.Elapsed.TotalSeconds:F0}s";
            double? validTop1 = null;
            if ((step + 1) % config.EvalInterval == 0)
            {
                var v = Evaluate(model, tokenizer, valid);
                validTop1 = v.Top1;
                line += $" | valid top1 {v.Top1:F3} top5 {v.Top5:F3}";
            }
            Console.WriteLine(line);
            curve.Add(new { step = step + 1, train_reward_mean = sampledReward, frac_reward_zero_std = zeroStd, refill_rounds = rounds, trained_groups = batch.Count / g, sampled_completions = samples.Count, valid_top1 = validTop1 });
        }
        var after = Evaluate(model, tokenizer, valid);
        var afterTrain = Evaluate(model, tokenizer, train.Take(48).ToList());
        return new
        {
            dynamic_sampling = config.DynamicSampling,
            top1_after = after.Top1,
            top5_after = after.Top5,
            train_top1_after = afterTrain.Top1,
            sampled_completions = sampledCompletions,
            rft_seconds = rl.Elapsed.TotalSeconds,
            curve,
        };
    }

    /// <summary>Samples and rank-rewards G completions for each of <paramref name="indices"/>, seeded by position as the
    /// job's Rollout activity seeds them.</summary>
    private static List<RolloutSample> Sample(DecoderModel model, ITextTokenizer tokenizer, IReadOnlyList<GeneCase> train, RftTrainingConfig config,
        int step, IReadOnlyList<int> indices, int firstPosition)
    {
        var batch = indices.Select(i => train[i]).ToList();
        var requests = batch.Select((c, i) => new GenerationRequest(tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(c)),
            new SamplingParameters
            {
                N = config.SamplesPerPrompt,
                MaxTokens = config.MaxCompletionTokens,
                Seed = RolloutSeeds.For(config.Seed, 1, step, firstPosition + i, indices[i]),
                Temperature = config.Temperature,
            })).ToList();
        model.eval();
        var generated = new TextGenerator(model, tokenizer).Generate(requests).OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex).ToList();
        return [.. generated.Select(s =>
        {
            int rank = RankedAnswer.RankOf(s.Text, batch[s.RequestIndex].Answer.Symbol);
            return new RolloutSample(requests[s.RequestIndex].PromptIds, s.TokenIds, s.LogProbs, rank == 0 ? 0 : 1.0 / rank, s.FinishReason == FinishReason.Length);
        })];
    }

    // The recipe with the command line's overrides (key=value), so one run tries one change against the default.
    private static DemoRecipe Recipe(DemoRecipe r, Func<string, int, int> i, Func<string, double, double> d, Dictionary<string, string> opts) => r with
    {
        Ontology = r.Ontology with { Families = i("families", r.Ontology.Families), FamilySize = i("family", r.Ontology.FamilySize), ValidationFamilies = i("vfam", r.Ontology.ValidationFamilies) },
        Cases = r.Cases with { DefiningPresentProbability = d("pdef", r.Cases.DefiningPresentProbability) },
        BaseModel = r.BaseModel with
        {
            PretrainSteps = i("pre", r.BaseModel.PretrainSteps),
            WarmupSteps = i("warm", r.BaseModel.WarmupSteps),
            LearningRate = d("blr", r.BaseModel.LearningRate),
            BatchSize = i("batch", r.BaseModel.BatchSize),
            WarmupReasonedFraction = d("reasoned", r.BaseModel.WarmupReasonedFraction),
            WordTokens = i("words", r.BaseModel.WordTokens ? 1 : 0) == 1,
            WarmupCaseFraction = d("casefrac", r.BaseModel.WarmupCaseFraction),
            Size = r.BaseModel.Size with
            {
                HiddenSize = i("hidden", r.BaseModel.Size.HiddenSize),
                IntermediateSize = i("hidden", r.BaseModel.Size.HiddenSize) * 2,
                Layers = i("layers", r.BaseModel.Size.Layers),
            },
        },
        TrainCases = i("train", r.TrainCases),
        ValidCases = i("valid", r.ValidCases),
        Training = r.Training with
        {
            Epochs = i("epochs", r.Training.Epochs),
            PromptsPerStep = i("prompts", r.Training.PromptsPerStep),
            SamplesPerPrompt = i("g", r.Training.SamplesPerPrompt),
            MaxCompletionTokens = i("maxtok", r.Training.MaxCompletionTokens),
            LearningRate = d("lr", r.Training.LearningRate),
            Mode = opts.TryGetValue("mode", out var mode) ? (mode == "lora" ? FineTuningMode.Lora : FineTuningMode.Full) : r.Training.Mode,
            Beta = d("beta", r.Training.Beta),
            Temperature = d("temp", r.Training.Temperature),
            DynamicSamplingMaxRounds = i("rounds", r.Training.DynamicSamplingMaxRounds),
            EvalInterval = i("every", r.Training.EvalInterval),
        },
    };

    private static void torch_set(int threads) => TorchSharp.torch.set_num_threads(threads);

    // Greedy Top-k exactly as the demo reports it (DemoEvaluation).
    private static DemoScores Evaluate(DecoderModel model, ITextTokenizer tokenizer, IReadOnlyList<GeneCase> cases)
    {
        var scores = DemoEvaluation.Score(model, tokenizer, cases);
        if (cases.Count > 0) Console.WriteLine($"  e.g. [{cases[0].Prompt.Replace('\n', ' ')}] -> {scores.Answers[0]}  (answer {cases[0].Answer.Symbol})");
        return scores;
    }
}
