using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Model;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Checks that the files parse (errors name file, line and field), the grader is valid, the model folder loads and
/// the config is consistent; returns the plan the orchestrator computes prompts from. Any failure fails the job at
/// validating_files with that message.
/// </summary>
public sealed class ValidateJobActivity(JobWorkspace workspace, WorkerShutdown shutdown) : TaskActivity<string, JobPlan>
{
    /// <inheritdoc />
    public override async Task<JobPlan> RunAsync(TaskActivityContext context, string jobId)
    {
        var job = await workspace.GetJobAsync(jobId, shutdown.Token);
        var config = job.Spec.Config;
        var problems = config.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid hyperparameters: " + string.Join("; ", problems));
        // The config file is what every worker loads first; reading it proves the folder is a model.
        var modelConfig = ModelConfig.Load(Path.Combine(job.Spec.BaseModelDirectory, "config.json"));
        if (job.Tokenizer.VocabularySize > modelConfig.VocabSize)
            throw new InvalidDataException($"base model '{job.Spec.BaseModel}': tokenizer has {job.Tokenizer.VocabularySize} tokens but the model only {modelConfig.VocabSize}");
        var schedule = new PromptSchedule(job.Train.Count, config.PromptsPerStep, config.Epochs, config.Seed);
        return new JobPlan(schedule.TotalSteps, job.Train.Count, job.Valid.Count, config.Seed, config.PromptsPerStep, config.SamplesPerPrompt,
            config.Epochs, config.EvalInterval, config.EvalSamples, config.StepsPerGeneration, Math.Max(1, job.Spec.RolloutShardPrompts), config.Budget,
            config.DynamicSampling, config.DynamicSamplingMaxRounds, config.Warnings(), config.Monitors);
    }
}
