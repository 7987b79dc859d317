using System.Text.Json.Serialization;

namespace RftFunctions.Graders.Evaluation;

/// <summary>
/// The error flags of one grading, exactly OpenAI's <c>metadata.errors</c> object, plus <c>details</c> (our addition:
/// human-readable reasons, e.g. which template variable was missing).
/// </summary>
public sealed class GraderErrors
{
    /// <summary>calculate_output did not parse.</summary>
    [JsonPropertyName("formula_parse_error")] public bool FormulaParseError { get; set; }

    /// <summary>The sample was required to be JSON (response_format) and was not.</summary>
    [JsonPropertyName("sample_parse_error")] public bool SampleParseError { get; set; }

    /// <summary>The sample was cut off at the token limit.</summary>
    [JsonPropertyName("truncated_observation_error")] public bool TruncatedObservationError { get; set; }

    /// <summary>A remote grader (endpoint) did not answer in time.</summary>
    [JsonPropertyName("unresponsive_reward_error")] public bool UnresponsiveRewardError { get; set; }

    /// <summary>A template named a variable the item or sample does not have.</summary>
    [JsonPropertyName("invalid_variable_error")] public bool InvalidVariableError { get; set; }

    /// <summary>Anything else (bad endpoint answer, no embedding provider, non-finite formula result, ...).</summary>
    [JsonPropertyName("other_error")] public bool OtherError { get; set; }

    /// <summary>The python worker crashed, timed out or could not start.</summary>
    [JsonPropertyName("python_grader_server_error")] public bool PythonGraderServerError { get; set; }

    /// <summary>Kind of python server error: <c>timeout</c>, <c>crash</c>, <c>start_failed</c>, <c>unavailable</c>.</summary>
    [JsonPropertyName("python_grader_server_error_type")] public string? PythonGraderServerErrorType { get; set; }

    /// <summary>grade() raised or returned something that is not a finite number.</summary>
    [JsonPropertyName("python_grader_runtime_error")] public bool PythonGraderRuntimeError { get; set; }

    /// <summary>The traceback (or the reason the return value was rejected).</summary>
    [JsonPropertyName("python_grader_runtime_error_details")] public string? PythonGraderRuntimeErrorDetails { get; set; }

    /// <summary>The judge model could not be reached or failed.</summary>
    [JsonPropertyName("model_grader_server_error")] public bool ModelGraderServerError { get; set; }

    /// <summary>Why the judge model failed.</summary>
    [JsonPropertyName("model_grader_server_error_details")] public string? ModelGraderServerErrorDetails { get; set; }

    /// <summary>The judge refused to answer.</summary>
    [JsonPropertyName("model_grader_refusal_error")] public bool ModelGraderRefusalError { get; set; }

    /// <summary>The judge's answer was not the requested JSON (or the score was not a number / not a label).</summary>
    [JsonPropertyName("model_grader_parse_error")] public bool ModelGraderParseError { get; set; }

    /// <summary>Our addition: reasons behind the flags, one line each.</summary>
    [JsonPropertyName("details")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Details { get; set; }

    /// <summary>True when any flag is set.</summary>
    [JsonIgnore]
    public bool Any => FormulaParseError || SampleParseError || TruncatedObservationError || UnresponsiveRewardError ||
                       InvalidVariableError || OtherError || PythonGraderServerError || PythonGraderRuntimeError ||
                       ModelGraderServerError || ModelGraderRefusalError || ModelGraderParseError;

    /// <summary>
    /// True when a flag other than sample_parse_error and invalid_variable_error is set: OpenAI's metrics events report
    /// only those two plus <c>other_error</c>, which covers every other failure.
    /// </summary>
    [JsonIgnore]
    public bool CountsAsOtherError => FormulaParseError || TruncatedObservationError || UnresponsiveRewardError || OtherError ||
                                      PythonGraderServerError || PythonGraderRuntimeError || ModelGraderServerError ||
                                      ModelGraderRefusalError || ModelGraderParseError;

    /// <summary>Names of the flags that are set, in OpenAI's spelling.</summary>
    [JsonIgnore]
    public IEnumerable<string> SetFlags
    {
        get
        {
            if (FormulaParseError) yield return "formula_parse_error";
            if (SampleParseError) yield return "sample_parse_error";
            if (TruncatedObservationError) yield return "truncated_observation_error";
            if (UnresponsiveRewardError) yield return "unresponsive_reward_error";
            if (InvalidVariableError) yield return "invalid_variable_error";
            if (OtherError) yield return "other_error";
            if (PythonGraderServerError) yield return "python_grader_server_error";
            if (PythonGraderRuntimeError) yield return "python_grader_runtime_error";
            if (ModelGraderServerError) yield return "model_grader_server_error";
            if (ModelGraderRefusalError) yield return "model_grader_refusal_error";
            if (ModelGraderParseError) yield return "model_grader_parse_error";
        }
    }

    /// <summary>Adds a detail line.</summary>
    public void AddDetail(string detail) => (Details ??= []).Add(detail);

    /// <summary>ORs another grader's flags into this one (a multi grader reports its sub-graders' errors).</summary>
    public void Merge(GraderErrors other, string? prefix = null)
    {
        FormulaParseError |= other.FormulaParseError;
        SampleParseError |= other.SampleParseError;
        TruncatedObservationError |= other.TruncatedObservationError;
        UnresponsiveRewardError |= other.UnresponsiveRewardError;
        InvalidVariableError |= other.InvalidVariableError;
        OtherError |= other.OtherError;
        PythonGraderServerError |= other.PythonGraderServerError;
        PythonGraderServerErrorType ??= other.PythonGraderServerErrorType;
        PythonGraderRuntimeError |= other.PythonGraderRuntimeError;
        PythonGraderRuntimeErrorDetails ??= other.PythonGraderRuntimeErrorDetails;
        ModelGraderServerError |= other.ModelGraderServerError;
        ModelGraderServerErrorDetails ??= other.ModelGraderServerErrorDetails;
        ModelGraderRefusalError |= other.ModelGraderRefusalError;
        ModelGraderParseError |= other.ModelGraderParseError;
        if (other.Details is { } details)
            foreach (var d in details) AddDetail(prefix is null ? d : $"{prefix}: {d}");
    }
}
