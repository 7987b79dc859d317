namespace RftFunctions.Model.Tokenization;

/// <summary>
/// A tokenizer file (tokenizer.json, tokenizer_config.json) that cannot be used: malformed, or asking for a feature this
/// loader does not implement. The message names the file and the JSON field.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="file"/> and the JSON path <paramref name="field"/>.</summary>
    public TokenizerFormatException(string file, string field, string problem)
        : base($"{file}: {field}: {problem}")
    {
        File = file;
        Field = field;
    }

    /// <summary>Creates the exception with an inner cause (for example a JSON syntax error).</summary>
    public TokenizerFormatException(string file, string field, string problem, Exception inner)
        : base($"{file}: {field}: {problem}", inner)
    {
        File = file;
        Field = field;
    }

    /// <summary>The file at fault.</summary>
    public string File { get; }

    /// <summary>The JSON path of the offending field (for example <c>model.type</c>).</summary>
    public string Field { get; }
}
