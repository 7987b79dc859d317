using RftFunctions.Graders.Config;

namespace RftFunctions.Graders.Evaluation;

/// <summary>Builds a <see cref="CompiledGrader"/> from a config (validate it first with GraderConfigJson.Parse).</summary>
public static class GraderCompiler
{
    /// <summary>Parses templates and formulas once; throws for malformed templates (validation reports those first).</summary>
    public static CompiledGrader Compile(GraderConfig config) => config switch
    {
        StringCheckGraderConfig c => new StringCheckGrader(c),
        TextSimilarityGraderConfig c => new TextSimilarityGrader(c),
        ScoreModelGraderConfig c => new ScoreModelGrader(c),
        LabelModelGraderConfig c => new LabelModelGrader(c),
        PythonGraderConfig c => new PythonGrader(c),
        MultiGraderConfig c => new MultiGrader(c),
        EndpointGraderConfig c => new EndpointGrader(c),
        RankedListGraderConfig c => new RankedListGrader(c),
        _ => throw new ArgumentException($"unsupported grader config {config.GetType().Name}", nameof(config)),
    };
}
