using System.Diagnostics;
using System.Text.Json;
using RftFunctions.Functions.Demo;
using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Demo;
using RftFunctions.Training.Trainer;

namespace RftFunctions.Bench;

/// <summary>
/// The gene-ranking demo's science, in process: build the base model, measure greedy held-out Top-1, run GRPO with
/// rank rewards on training genes, measure again. Used to choose the demo's seeded configuration.
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
        var schedule = recipe.Schedule(seed);
        int steps = schedule.TotalSteps;
        var rl = Stopwatch.StartNew();
        using var trainer = new PolicyTrainer(model, config, steps);
        var history = new List<object>();
        for (int step = 0; step < steps; step++)
        {
            var batch = schedule.ForStep(step).ExampleIndices.Select(i => train[i]).ToList();
            var requests = batch.Select((c, i) => new GenerationRequest(tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(c)),
                new SamplingParameters { N = config.SamplesPerPrompt, MaxTokens = config.MaxCompletionTokens, Seed = (step * 1000) + i, Temperature = config.Temperature })).ToList();
            model.eval();
            var generated = new TextGenerator(model, tokenizer).Generate(requests).OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex).ToList();
            var samples = generated.Select(s =>
            {
                int rank = RankedAnswer.RankOf(s.Text, batch[s.RequestIndex].Answer.Symbol);
                return new RolloutSample(requests[s.RequestIndex].PromptIds, s.TokenIds, s.LogProbs, rank == 0 ? 0 : 1.0 / rank, s.FinishReason == FinishReason.Length);
            }).ToList();
            var metrics = trainer.Update(samples, step);
            string line = $"step {step + 1}/{steps} reward {metrics.RewardMean:F3} len {metrics.CompletionLengthMean:F0} kl {metrics.Kl:F4} {rl.Elapsed.TotalSeconds:F0}s";
            if ((step + 1) % config.EvalInterval == 0)
            {
                var v = Evaluate(model, tokenizer, valid);
                line += $" | valid top1 {v.Top1:F3} top5 {v.Top5:F3}";
            }
            Console.WriteLine(line);
        }
        var after = Evaluate(model, tokenizer, valid);
        var afterTrain = Evaluate(model, tokenizer, train.Take(48).ToList());
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            top1_before = before.Top1,
            top1_after = after.Top1,
            top5_before = before.Top5,
            top5_after = after.Top5,
            train_top1_before = beforeTrain.Top1,
            train_top1_after = afterTrain.Top1,
            build_seconds = buildSeconds,
            rft_seconds = rl.Elapsed.TotalSeconds,
        }));
        return Task.FromResult(0);
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
