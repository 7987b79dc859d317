using System.Text.Json;
using RftFunctions.Graders.Python;

namespace RftFunctions.Functions.Api.Graders;

/// <summary>
/// Refuses, before anything runs, python graders that could never produce a reward: those this host cannot run (the
/// sandbox is not available and the operator did not opt out of it) and those whose source does not compile. The
/// compile runs inside the caller project's sandboxed worker, never in the host. Called after the config's own
/// validation, by <c>/graders/validate</c>, <c>/graders/run</c> and job create; errors name the grader field.
/// </summary>
public static class PythonGraderAdmission
{
    /// <summary>Throws a 400 <see cref="ApiException"/> for the first python grader in <paramref name="grader"/> that
    /// cannot run; <paramref name="param"/> is the grader's field in the request (<c>grader</c>,
    /// <c>method.reinforcement.grader</c>).</summary>
    public static async Task CheckAsync(JsonElement grader, string param, string project, PythonGraderPool? pool, CancellationToken cancellationToken)
    {
        foreach (var (path, source) in PythonSources(grader, param))
        {
            if (pool is null)
                throw ApiException.BadRequest($"{path}: python graders are not available on this server.", path, "python_grader_unavailable");
            var outcome = await pool.CheckSourceAsync(project, source, cancellationToken);
            switch (outcome.Status)
            {
                case PythonGradeStatus.Ok:
                    continue;
                case PythonGradeStatus.RuntimeError:
                    throw ApiException.BadRequest($"{path}.source does not compile: {outcome.Details}", path + ".source", "invalid_grader");
                default:
                    throw outcome.ServerErrorType == "sandbox_unavailable"
                        ? ApiException.BadRequest($"{path}: {outcome.Details}", path, "python_grader_unavailable")
                        : ApiException.BadRequest($"{path}.source could not be compiled within the sandbox's limits ({outcome.ServerErrorType}).", path + ".source", "invalid_grader");
            }
        }
    }

    // Every python grader in the (already validated) config with its request path: the grader itself or the
    // sub-graders of a multi grader (a dict keyed by name, or the list some SDKs send).
    private static IEnumerable<(string Path, string Source)> PythonSources(JsonElement grader, string path)
    {
        if (grader.ValueKind != JsonValueKind.Object || !grader.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            yield break;
        if (type.ValueEquals("python") && grader.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.String)
            yield return (path, source.GetString()!);
        if (!type.ValueEquals("multi") || !grader.TryGetProperty("graders", out var subs)) yield break;
        var children = subs.ValueKind switch
        {
            JsonValueKind.Object => subs.EnumerateObject().Select(p => (Path: path + ".graders" + Key(p.Name), Grader: p.Value)).ToList(),
            JsonValueKind.Array => subs.EnumerateArray().Select((g, i) => (Path: $"{path}.graders[{i}]", Grader: g)).ToList(),
            _ => [(Path: path + ".graders", Grader: subs)],
        };
        foreach (var (childPath, child) in children)
        {
            // multi inside multi is refused by validation, so one level is all there is.
            if (child.ValueKind == JsonValueKind.Object && child.TryGetProperty("type", out var t) && t.ValueEquals("python")
                && child.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String)
                yield return (childPath, s.GetString()!);
        }
    }

    private static string Key(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? "." + name : $"['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";
}
