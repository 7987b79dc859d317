using System.Text;
using System.Text.Json;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Formulas;
using RftFunctions.Graders.Templates;

namespace RftFunctions.Graders.Validation;

/// <summary>
/// Checks a grader config in its JSON form and reports every problem with its JSON path: unknown type or field, missing
/// or mistyped field, bad operation or metric, label_model at the top level, nested multi, python source too large or
/// without <c>grade</c>, malformed templates, a formula that does not parse or names an unknown sub-grader.
/// </summary>
public static class GraderValidator
{
    private static readonly string[] Common = ["type", "name"];

    private static readonly Dictionary<string, string[]> Fields = new()
    {
        [GraderTypes.StringCheck] = ["input", "reference", "operation"],
        [GraderTypes.TextSimilarity] = ["input", "reference", "evaluation_metric", "pass_threshold"],
        [GraderTypes.ScoreModel] = ["model", "input", "range", "sampling_params", "pass_threshold"],
        [GraderTypes.LabelModel] = ["model", "input", "labels", "passing_labels"],
        [GraderTypes.Python] = ["source", "image_tag"],
        [GraderTypes.Multi] = ["graders", "calculate_output"],
        [GraderTypes.Endpoint] = ["url", "headers", "rate_limit", "pass_threshold", "timeout"],
        [GraderTypes.RankedList] =
            ["input", "reference", "extract", "field", "item_field", "decay", "decay_rate", "max_rank", "case_sensitive"],
    };

    /// <summary>Validates a top-level grader (the one a job or the run API names).</summary>
    public static IReadOnlyList<GraderValidationError> Validate(JsonElement grader)
    {
        var errors = new List<GraderValidationError>();
        ValidateGrader(grader, "$", insideMulti: false, errors);
        return errors;
    }

    /// <summary>Validates JSON text; a syntax error is reported at <c>$</c>.</summary>
    public static IReadOnlyList<GraderValidationError> Validate(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return Validate(doc.RootElement);
        }
        catch (JsonException e)
        {
            return [new GraderValidationError("$", $"not valid JSON: {e.Message}")];
        }
    }

    private static void ValidateGrader(JsonElement g, string path, bool insideMulti, List<GraderValidationError> errors)
    {
        if (g.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, $"a grader must be a JSON object, got {Kind(g)}"));
            return;
        }
        if (!g.TryGetProperty("type", out var typeElement) || typeElement.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new(Join(path, "type"), $"missing required field 'type' (one of {string.Join(", ", TopLevelTypes())})"));
            return;
        }
        if (typeElement.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(Join(path, "type"), $"must be a string, got {Kind(typeElement)}"));
            return;
        }
        var type = typeElement.GetString()!;
        if (!Fields.TryGetValue(type, out var fields))
        {
            errors.Add(new(Join(path, "type"), $"unknown grader type '{type}' (known: {string.Join(", ", GraderTypes.All)})"));
            return;
        }
        if (type == GraderTypes.LabelModel && !insideMulti)
            errors.Add(new(Join(path, "type"), "label_model is only allowed as a sub-grader of a multi grader"));
        if (type == GraderTypes.Multi && insideMulti)
            errors.Add(new(Join(path, "type"), "a multi grader cannot contain another multi grader"));

        foreach (var p in g.EnumerateObject())
        {
            if (!Common.Contains(p.Name) && !fields.Contains(p.Name))
                errors.Add(new(Join(path, p.Name), $"unknown field '{p.Name}' for a {type} grader"));
        }
        RequireString(g, path, "name", errors, allowEmpty: false);

        switch (type)
        {
            case GraderTypes.StringCheck:
                RequireTemplate(g, path, "input", errors);
                RequireTemplate(g, path, "reference", errors);
                RequireOneOf(g, path, "operation", StringCheckGraderConfig.Operations, errors);
                break;
            case GraderTypes.TextSimilarity:
                RequireTemplate(g, path, "input", errors);
                RequireTemplate(g, path, "reference", errors);
                RequireOneOf(g, path, "evaluation_metric", TextSimilarityGraderConfig.Metrics, errors);
                OptionalNumber(g, path, "pass_threshold", errors, min: 0, max: 1);
                break;
            case GraderTypes.ScoreModel:
                RequireString(g, path, "model", errors, allowEmpty: false);
                ValidateMessages(g, path, errors);
                ValidateRange(g, path, errors);
                ValidateSamplingParams(g, path, errors);
                OptionalNumber(g, path, "pass_threshold", errors);
                break;
            case GraderTypes.LabelModel:
                RequireString(g, path, "model", errors, allowEmpty: false);
                ValidateMessages(g, path, errors);
                ValidateLabels(g, path, errors);
                break;
            case GraderTypes.Python:
                ValidatePythonSource(g, path, errors);
                OptionalString(g, path, "image_tag", errors);
                break;
            case GraderTypes.Multi:
                ValidateMulti(g, path, errors);
                break;
            case GraderTypes.Endpoint:
                ValidateEndpoint(g, path, errors);
                break;
            case GraderTypes.RankedList:
                ValidateRankedList(g, path, errors);
                break;
        }
    }

    private static IEnumerable<string> TopLevelTypes() => GraderTypes.All.Where(t => t != GraderTypes.LabelModel);

    private static void ValidateMulti(JsonElement g, string path, List<GraderValidationError> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var gradersPath = Join(path, "graders");
        if (!g.TryGetProperty("graders", out var graders) || graders.ValueKind == JsonValueKind.Null)
            errors.Add(new(gradersPath, "missing required field 'graders' (an object mapping names to graders)"));
        else
        {
            var shape = SubGradersConverter.Classify(graders);
            if (shape == SubGradersConverter.Shape.Invalid)
                errors.Add(new(gradersPath, $"must be an object mapping names to graders, got {Kind(graders)}"));
            IEnumerable<(string? Name, JsonElement Grader, string Path)> subs = shape switch
            {
                SubGradersConverter.Shape.Dict => graders.EnumerateObject().Select(p => ((string?)p.Name, p.Value, Join(gradersPath, p.Name))),
                SubGradersConverter.Shape.List => graders.EnumerateArray().Select((e, i) => (NameOf(e), e, $"{gradersPath}[{i}]")),
                SubGradersConverter.Shape.Single => [(NameOf(graders), graders, gradersPath)],
                _ => [],
            };
            foreach (var (name, sub, subPath) in subs)
            {
                ValidateGrader(sub, subPath, insideMulti: true, errors);
                // In list and single form the key is the grader's name, whose absence ValidateGrader already reports.
                if (name is null) continue;
                if (!IsIdentifier(name))
                    errors.Add(new(subPath, $"sub-grader name '{name}' must be an identifier (letters, digits, _) to be usable in calculate_output"));
                if (!names.Add(name))
                    errors.Add(new(subPath, $"duplicate sub-grader name '{name}'"));
            }
            if (shape != SubGradersConverter.Shape.Invalid && !subs.Any()) errors.Add(new(gradersPath, "needs at least one sub-grader"));
        }

        if (RequireString(g, path, "calculate_output", errors, allowEmpty: false) is { } formulaText)
        {
            try
            {
                var formula = Formula.Parse(formulaText);
                foreach (var v in formula.Variables.Where(v => !names.Contains(v)))
                    errors.Add(new(Join(path, "calculate_output"),
                        $"the formula names '{v}', which is not a sub-grader (known: {string.Join(", ", names)})"));
            }
            catch (FormulaParseException e)
            {
                errors.Add(new(Join(path, "calculate_output"), $"the formula does not parse: {e.Message}"));
            }
        }
    }

    private static void ValidatePythonSource(JsonElement g, string path, List<GraderValidationError> errors)
    {
        if (RequireString(g, path, "source", errors, allowEmpty: false) is not { } source) return;
        var bytes = Encoding.UTF8.GetByteCount(source);
        if (bytes > PythonGraderConfig.MaxSourceBytes)
            errors.Add(new(Join(path, "source"), $"source is {bytes} bytes; the limit is {PythonGraderConfig.MaxSourceBytes} (256 kB)"));
        if (!System.Text.RegularExpressions.Regex.IsMatch(source, @"(^|\n)\s*def\s+grade\s*\("))
            errors.Add(new(Join(path, "source"), "source must define a function grade(sample, item)"));
    }

    private static void ValidateEndpoint(JsonElement g, string path, List<GraderValidationError> errors)
    {
        if (RequireString(g, path, "url", errors, allowEmpty: false) is { } url &&
            (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            errors.Add(new(Join(path, "url"), $"'{url}' is not an absolute http(s) URL"));
        if (g.TryGetProperty("headers", out var headers) && headers.ValueKind != JsonValueKind.Null)
        {
            if (headers.ValueKind != JsonValueKind.Object)
                errors.Add(new(Join(path, "headers"), $"must be an object of strings, got {Kind(headers)}"));
            else
                foreach (var h in headers.EnumerateObject().Where(h => h.Value.ValueKind != JsonValueKind.String))
                    errors.Add(new(Join(Join(path, "headers"), h.Name), $"header values must be strings, got {Kind(h.Value)}"));
        }
        // Upper bounds: a rate above 1000/s or a wait above 2 minutes per attempt is a mistake, not a setting.
        OptionalNumber(g, path, "rate_limit", errors, min: double.Epsilon, max: 1000);
        OptionalNumber(g, path, "pass_threshold", errors);
        OptionalNumber(g, path, "timeout", errors, min: double.Epsilon, max: 120);
    }

    private static void ValidateRankedList(JsonElement g, string path, List<GraderValidationError> errors)
    {
        if (g.TryGetProperty("input", out var input) && input.ValueKind != JsonValueKind.Null) RequireTemplate(g, path, "input", errors);
        RequireTemplate(g, path, "reference", errors);
        if (g.TryGetProperty("extract", out var e) && e.ValueKind != JsonValueKind.Null)
            RequireOneOf(g, path, "extract", RankedListGraderConfig.ExtractModes, errors);
        OptionalString(g, path, "field", errors);
        OptionalString(g, path, "item_field", errors);
        if (g.TryGetProperty("decay", out var d) && d.ValueKind != JsonValueKind.Null)
            RequireOneOf(g, path, "decay", RankedListGraderConfig.DecayModes, errors);
        OptionalNumber(g, path, "decay_rate", errors, min: double.Epsilon, max: 1 - 1e-12);
        OptionalNumber(g, path, "max_rank", errors, min: 1, integer: true);
        if (g.TryGetProperty("case_sensitive", out var cs) && cs.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            errors.Add(new(Join(path, "case_sensitive"), $"must be a boolean, got {Kind(cs)}"));
        if (g.TryGetProperty("extract", out var ex) && ex.ValueKind == JsonValueKind.String && ex.GetString() == "json_field" &&
            (!g.TryGetProperty("field", out var f) || f.ValueKind != JsonValueKind.String))
            errors.Add(new(Join(path, "field"), "extract 'json_field' needs 'field' (the dot path of the array)"));
    }

    private static void ValidateMessages(JsonElement g, string path, List<GraderValidationError> errors)
    {
        var inputPath = Join(path, "input");
        if (!g.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new(inputPath, "missing required field 'input' (an array of messages)"));
            return;
        }
        if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() == 0)
        {
            errors.Add(new(inputPath, "must be a non-empty array of {role, content} messages"));
            return;
        }
        var i = 0;
        foreach (var m in input.EnumerateArray())
        {
            var mPath = $"{inputPath}[{i++}]";
            if (m.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new(mPath, $"a message must be an object, got {Kind(m)}"));
                continue;
            }
            foreach (var p in m.EnumerateObject().Where(p => p.Name is not ("role" or "content" or "type")))
                errors.Add(new(Join(mPath, p.Name), $"unknown field '{p.Name}' in a message"));
            RequireOneOf(m, mPath, "role", GraderMessage.Roles, errors);
            if (m.TryGetProperty("type", out var t) && t.ValueKind != JsonValueKind.Null &&
                (t.ValueKind != JsonValueKind.String || t.GetString() != "message"))
                errors.Add(new(Join(mPath, "type"), "must be \"message\" when present"));
            if (!m.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
                errors.Add(new(Join(mPath, "content"), "missing required field 'content'"));
            else ValidateContent(content, Join(mPath, "content"), errors);
        }
    }

    private static void ValidateContent(JsonElement content, string path, List<GraderValidationError> errors)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                CheckTemplate(content.GetString()!, path, errors);
                break;
            case JsonValueKind.Object:
                ValidateContentPart(content, path, errors);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var part in content.EnumerateArray()) ValidateContentPart(part, $"{path}[{i++}]", errors);
                break;
            default:
                errors.Add(new(path, $"must be a string or content parts, got {Kind(content)}"));
                break;
        }
    }

    private static void ValidateContentPart(JsonElement part, string path, List<GraderValidationError> errors)
    {
        if (part.ValueKind == JsonValueKind.String)
        {
            CheckTemplate(part.GetString()!, path, errors);
            return;
        }
        if (part.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, $"a content part must be an object, got {Kind(part)}"));
            return;
        }
        if (!part.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(Join(path, "type"), "a content part needs a string 'type' (input_text, output_text, input_image)"));
            return;
        }
        switch (t.GetString())
        {
            case "input_text" or "output_text":
                RequireTemplate(part, path, "text", errors);
                break;
            case "input_image":
                RequireTemplate(part, path, "image_url", errors);
                break;
            default:
                errors.Add(new(Join(path, "type"), $"unknown content part type '{t.GetString()}' (input_text, output_text, input_image)"));
                break;
        }
    }

    private static void ValidateRange(JsonElement g, string path, List<GraderValidationError> errors)
    {
        if (!g.TryGetProperty("range", out var range) || range.ValueKind == JsonValueKind.Null) return;
        var p = Join(path, "range");
        if (range.ValueKind != JsonValueKind.Array || range.GetArrayLength() != 2 ||
            range.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
        {
            errors.Add(new(p, "must be [min, max], two numbers"));
            return;
        }
        if (range[0].GetDouble() >= range[1].GetDouble()) errors.Add(new(p, "min must be less than max"));
    }

    private static void ValidateSamplingParams(JsonElement g, string path, List<GraderValidationError> errors)
    {
        if (!g.TryGetProperty("sampling_params", out var sp) || sp.ValueKind == JsonValueKind.Null) return;
        var p = Join(path, "sampling_params");
        if (sp.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(p, $"must be an object, got {Kind(sp)}"));
            return;
        }
        foreach (var f in sp.EnumerateObject().Where(f =>
                     f.Name is not ("seed" or "temperature" or "top_p" or "max_completions_tokens" or "reasoning_effort")))
            errors.Add(new(Join(p, f.Name), $"unknown sampling parameter '{f.Name}'"));
        OptionalNumber(sp, p, "seed", errors, integer: true);
        OptionalNumber(sp, p, "temperature", errors, min: 0, max: 2);
        OptionalNumber(sp, p, "top_p", errors, min: 0, max: 1);
        OptionalNumber(sp, p, "max_completions_tokens", errors, min: 1, integer: true);
        if (sp.TryGetProperty("reasoning_effort", out var re) && re.ValueKind != JsonValueKind.Null)
            RequireOneOf(sp, p, "reasoning_effort", ["minimal", "low", "medium", "high", "none", "default"], errors);
    }

    private static void ValidateLabels(JsonElement g, string path, List<GraderValidationError> errors)
    {
        var labels = StringArray(g, path, "labels", errors);
        var passing = StringArray(g, path, "passing_labels", errors);
        if (labels is null || passing is null) return;
        var i = 0;
        foreach (var l in passing)
        {
            if (!labels.Contains(l))
                errors.Add(new($"{Join(path, "passing_labels")}[{i}]", $"'{l}' is not one of the labels ({string.Join(", ", labels)})"));
            i++;
        }
    }

    private static List<string>? StringArray(JsonElement g, string path, string field, List<GraderValidationError> errors)
    {
        var p = Join(path, field);
        if (!g.TryGetProperty(field, out var a) || a.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new(p, $"missing required field '{field}' (an array of strings)"));
            return null;
        }
        if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() == 0)
        {
            errors.Add(new(p, "must be a non-empty array of strings"));
            return null;
        }
        var result = new List<string>();
        var i = 0;
        foreach (var v in a.EnumerateArray())
        {
            if (v.ValueKind == JsonValueKind.String) result.Add(v.GetString()!);
            else errors.Add(new($"{p}[{i}]", $"must be a string, got {Kind(v)}"));
            i++;
        }
        return result;
    }

    private static void RequireTemplate(JsonElement g, string path, string field, List<GraderValidationError> errors)
    {
        if (RequireString(g, path, field, errors, allowEmpty: true) is { } text) CheckTemplate(text, Join(path, field), errors);
    }

    private static void CheckTemplate(string text, string path, List<GraderValidationError> errors)
    {
        try
        {
            Template.Parse(text);
        }
        catch (TemplateParseException e)
        {
            errors.Add(new(path, $"bad template: {e.Message}"));
        }
    }

    private static void RequireOneOf(JsonElement g, string path, string field, IReadOnlyList<string> allowed, List<GraderValidationError> errors)
    {
        if (RequireString(g, path, field, errors, allowEmpty: true) is { } value && !allowed.Contains(value))
            errors.Add(new(Join(path, field), $"'{value}' is not allowed (one of {string.Join(", ", allowed)})"));
    }

    private static string? RequireString(JsonElement g, string path, string field, List<GraderValidationError> errors, bool allowEmpty)
    {
        if (!g.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new(Join(path, field), $"missing required field '{field}'"));
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(Join(path, field), $"must be a string, got {Kind(v)}"));
            return null;
        }
        var s = v.GetString()!;
        if (!allowEmpty && string.IsNullOrWhiteSpace(s))
        {
            errors.Add(new(Join(path, field), "must not be empty"));
            return null;
        }
        return s;
    }

    private static void OptionalString(JsonElement g, string path, string field, List<GraderValidationError> errors)
    {
        if (g.TryGetProperty(field, out var v) && v.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            errors.Add(new(Join(path, field), $"must be a string, got {Kind(v)}"));
    }

    private static void OptionalNumber(JsonElement g, string path, string field, List<GraderValidationError> errors,
        double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool integer = false)
    {
        if (!g.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return;
        if (v.ValueKind != JsonValueKind.Number)
        {
            errors.Add(new(Join(path, field), $"must be a number, got {Kind(v)}"));
            return;
        }
        var d = v.GetDouble();
        if (integer && (d != Math.Floor(d) || !v.TryGetInt64(out _)))
            errors.Add(new(Join(path, field), $"must be an integer, got {v.GetRawText()}"));
        else if (d < min || d > max)
            errors.Add(new(Join(path, field), $"{v.GetRawText()} is out of range [{Fmt(min)}, {Fmt(max)}]"));
    }

    private static string? NameOf(JsonElement grader) =>
        grader.ValueKind == JsonValueKind.Object && grader.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;

    private static string Fmt(double d) => d == double.Epsilon ? "0 (exclusive)" : d.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsLetter(name[0]) || name[0] == '_') && name.All(c => char.IsLetterOrDigit(c) || c == '_');

    /// <summary>Appends a property to a JSON path, quoting names that are not plain identifiers.</summary>
    /// <summary>A JSON path one level down: <c>$.a.name</c>, or <c>$.a['odd key']</c> for names that are not identifiers.</summary>
    public static string Join(string path, string name) =>
        IsIdentifier(name) ? $"{path}.{name}" : $"{path}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
