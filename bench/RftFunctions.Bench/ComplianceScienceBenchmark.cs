using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RftFunctions.Demo.Compliance;
using RftFunctions.Demo.Genes;
using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Datasets;
using RftFunctions.Training.Trainer;

namespace RftFunctions.Bench;

/// <summary>
/// The compliance demo's science, in process: build the base model, measure greedy held-out verdict accuracy and
/// explanation score, run GRPO with the grader's reward (verdict and clause, computed as the demo's graders compute
/// them) on training requests, measure again. Used to choose the demo's seeded configuration.
/// </summary>
public sealed class ComplianceScienceBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "compliance-science";

    /// <inheritdoc />
    public string Description => "compliance demo: base model build + in-process RFT, held-out verdict accuracy before/after [seed= recipe=reduced pre= warm= reasoned= lr= epochs= threads=]";

    /// <inheritdoc />
    public Task<int> RunAsync(string[] args)
    {
        var opts = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        double D(string k, double d) => opts.TryGetValue(k, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : d;
        int I(string k, int d) => (int)D(k, d);
        long seed = I("seed", 7);
        TorchSharp.torch.set_num_threads(I("threads", 1));
        var r = opts.GetValueOrDefault("recipe", "default") == "reduced" ? ComplianceRecipe.Reduced : ComplianceRecipe.Default;
        r = r with
        {
            Policies = r.Policies with { Actions = I("actions", r.Policies.Actions), DataKinds = I("kinds", r.Policies.DataKinds) },
            BaseModel = r.BaseModel with
            {
                PretrainSteps = I("pre", r.BaseModel.PretrainSteps),
                WarmupSteps = I("warm", r.BaseModel.WarmupSteps),
                BatchSize = I("batch", r.BaseModel.BatchSize),
                WarmupReasonedFraction = D("reasoned", r.BaseModel.WarmupReasonedFraction),
                WarmupCaseFraction = D("casefrac", r.BaseModel.WarmupCaseFraction),
            },
            TrainItems = I("train", r.TrainItems),
            HeldOutItems = I("valid", r.HeldOutItems),
            Training = r.Training with { Epochs = I("epochs", r.Training.Epochs), LearningRate = D("lr", r.Training.LearningRate), SamplesPerPrompt = I("g", r.Training.SamplesPerPrompt), EvalInterval = I("every", r.Training.EvalInterval) },
        };
        var book = PolicyBook.Create(seed, r.Policies);
        var train = ComplianceItems.Generate(book.TrainingClauses, r.TrainItems, seed + 1);
        var heldOut = ComplianceItems.Generate(book.HeldOutClauses, r.HeldOutItems, seed + 2);
        var clock = Stopwatch.StartNew();
        using var model = ComplianceBaseModelBuilder.Build(book, r.BaseModel, seed, (s, t, l) =>
        {
            if (s % 100 == 0) Console.WriteLine($"base {s}/{t} loss {l:F3} {clock.Elapsed.TotalSeconds:F0}s");
        });
        double buildSeconds = clock.Elapsed.TotalSeconds;
        var tokenizer = ComplianceBaseModelBuilder.Tokenizer(book);
        var before = Evaluate(model, tokenizer, heldOut);
        Console.WriteLine($"before: verdict {before.VerdictAccuracy:F3} clause {before.ExplanationScore:F3} json {before.ValidJson:F3} first {before.ReasonsFirst:F3} ({buildSeconds:F0}s)");

        var config = r.TrainingFor(seed);
        var schedule = new PromptSchedule(train.Count, config.PromptsPerStep, config.Epochs, seed);
        var rl = Stopwatch.StartNew();
        using (var trainer = new PolicyTrainer(model, config, schedule.TotalSteps))
        {
            for (int step = 0; step < schedule.TotalSteps; step++)
            {
                var prompts = schedule.ForStep(step).ExampleIndices;
                var samples = Sample(model, tokenizer, train, config, step, prompts);
                trainer.Update(samples, step);
                var lead = tokenizer.Encode(ComplianceItem.ReasoningLead);
                var reasoned = samples.Where(s => s.CompletionIds.Take(lead.Count).SequenceEqual(lead)).ToList();
                var line = $"step {step + 1}/{schedule.TotalSteps} reward {samples.Average(s => s.Reward):F3} reasoned {reasoned.Count}/{samples.Count} (reward {(reasoned.Count > 0 ? reasoned.Average(s => s.Reward) : 0):F2}) {rl.Elapsed.TotalSeconds:F0}s";
                if ((step + 1) % config.EvalInterval == 0)
                {
                    var v = Evaluate(model, tokenizer, heldOut);
                    line += $" | held-out verdict {v.VerdictAccuracy:F3} clause {v.ExplanationScore:F3}";
                }
                Console.WriteLine(line);
            }
        }
        var after = Evaluate(model, tokenizer, heldOut);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            seed,
            verdict_before = before.VerdictAccuracy,
            verdict_after = after.VerdictAccuracy,
            clause_before = before.ExplanationScore,
            clause_after = after.ExplanationScore,
            first_before = before.ReasonsFirst,
            first_after = after.ReasonsFirst,
            build_seconds = buildSeconds,
            rft_seconds = rl.Elapsed.TotalSeconds,
        }));
        return Task.FromResult(0);
    }

    // G samples per prompt, seeded by position as the job's Rollout activity seeds them, rewarded as the grader does.
    private static List<RolloutSample> Sample(DecoderModel model, ITextTokenizer tokenizer, IReadOnlyList<ComplianceItem> train, RftTrainingConfig config, int step, IReadOnlyList<int> indices)
    {
        var requests = indices.Select((index, i) => new GenerationRequest(tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(train[index].Prompt)),
            new SamplingParameters
            {
                N = config.SamplesPerPrompt,
                MaxTokens = config.MaxCompletionTokens,
                Seed = RolloutSeeds.For(config.Seed, 1, step, i, index),
                Temperature = config.Temperature,
            })).ToList();
        model.eval();
        var generated = new TextGenerator(model, tokenizer).Generate(requests).OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex).ToList();
        return [.. generated.Select(s =>
        {
            var item = train[indices[s.RequestIndex]];
            var (verdict, explanation) = ComplianceEvaluation.Parse(s.Text);
            double reward = (0.5 * (verdict == item.Verdict ? 1 : 0)) + (0.5 * (verdict is not null && ComplianceEvaluation.CitesClause(explanation, item.Clause.Id) ? 1 : 0));
            return new RolloutSample(requests[s.RequestIndex].PromptIds, s.TokenIds, s.LogProbs, reward, s.FinishReason == FinishReason.Length);
        })];
    }

    private static ComplianceScores Evaluate(DecoderModel model, ITextTokenizer tokenizer, IReadOnlyList<ComplianceItem> items)
    {
        var scores = ComplianceEvaluation.Score(model, tokenizer, items);
        Console.WriteLine($"  e.g. [{items[0].Prompt}] -> {scores.Answers[0]}  (clause {items[0].Clause.Id}, {items[0].Verdict})");
        return scores;
    }
}
