using System.Text;
using System.Text.Json;

namespace RftFunctions.Graders.Templates;

/// <summary>
/// A parsed template string: literal text with <c>{{ path }}</c> holes (whitespace inside the braces is allowed).
/// Parsed once per grader, rendered once per sample. The parser is a loop (no recursion), and user input is bounded:
/// at most <see cref="MaxLength"/> characters and <see cref="MaxVariables"/> holes; each path is bounded by
/// <see cref="TemplatePath.MaxLength"/> and <see cref="TemplatePath.MaxSegments"/>.
/// </summary>
public sealed class Template
{
    /// <summary>The longest template accepted, in characters: room for a judge prompt, not for a dataset.</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>The most <c>{{ }}</c> holes one template may have.</summary>
    public const int MaxVariables = 256;

    private readonly string[] _literals; // _literals.Length == _holes.Length + 1
    private readonly TemplatePath[] _holes;

    private Template(string text, string[] literals, TemplatePath[] holes)
    {
        Text = text;
        _literals = literals;
        _holes = holes;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>The variables the template uses.</summary>
    public IReadOnlyList<TemplatePath> Variables => _holes;

    /// <summary>Parses a template; throws <see cref="TemplateParseException"/> for a malformed variable.</summary>
    public static Template Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
            throw new TemplateParseException($"the template is {text.Length} characters long; the limit is {MaxLength}");
        var literals = new List<string>();
        var holes = new List<TemplatePath>();
        var literal = new StringBuilder();
        var pos = 0;
        while (pos < text.Length)
        {
            var open = text.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0) break;
            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0) throw new TemplateParseException($"'{{{{' at position {open} has no closing '}}}}'");
            if (holes.Count == MaxVariables)
                throw new TemplateParseException($"the template has more than {MaxVariables} variables");
            literal.Append(text, pos, open - pos);
            literals.Add(literal.ToString());
            literal.Clear();
            holes.Add(TemplatePath.Parse(text[(open + 2)..close]));
            pos = close + 2;
        }
        literal.Append(text, pos, text.Length - pos);
        literals.Add(literal.ToString());
        return new Template(text, [.. literals], [.. holes]);
    }

    /// <summary>
    /// Renders the template; when a variable is missing returns false and names it in <paramref name="missing"/>.
    /// </summary>
    public bool TryRender(GradingSample sample, JsonElement item, out string rendered, out string? missing)
    {
        if (_holes.Length == 0)
        {
            rendered = _literals[0];
            missing = null;
            return true;
        }
        // The common case, a template that is exactly one variable, needs no builder.
        if (_holes.Length == 1 && _literals[0].Length == 0 && _literals[1].Length == 0)
        {
            if (_holes[0].TryResolve(sample, item, out var only))
            {
                rendered = only.Render();
                missing = null;
                return true;
            }
            rendered = "";
            missing = _holes[0].Text;
            return false;
        }
        var sb = new StringBuilder();
        for (var i = 0; i < _holes.Length; i++)
        {
            sb.Append(_literals[i]);
            if (!_holes[i].TryResolve(sample, item, out var value))
            {
                rendered = "";
                missing = _holes[i].Text;
                return false;
            }
            sb.Append(value.Render());
        }
        sb.Append(_literals[^1]);
        rendered = sb.ToString();
        missing = null;
        return true;
    }
}
