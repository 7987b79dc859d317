using System.Text.Json;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Grading;
using RftFunctions.Graders.Api;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Validation;

namespace RftFunctions.Functions.Api.Graders;

/// <summary><c>/v1/fine_tuning/alpha/graders</c>: validate a grader config, or run one on a single sample.</summary>
public static class GradersApi
{
    /// <summary>Maps the endpoints under <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapGradersApi(this RouteGroupBuilder v1)
    {
        var graders = v1.MapGroup("/fine_tuning/alpha/graders").WithTags("Graders");
        graders.MapPost("/validate", ValidateAsync);
        graders.MapPost("/run", RunAsync);
        return v1;
    }

    private static async Task<IResult> ValidateAsync(HttpContext context, GraderCapabilities capabilities, GraderServices services, CancellationToken cancellationToken)
    {
        var body = await ApiJson.ReadObjectAsync(context.Request, cancellationToken);
        var grader = Required(body, "grader", JsonValueKind.Object);
        var json = Guard(() => GraderApi.ValidateResponseJson(grader));
        var project = ApiProject.Of(context);
        await capabilities.RequireRunnableAsync(project, grader, "grader", cancellationToken);
        await PythonGraderAdmission.CheckAsync(grader, "grader", project, services.Python, cancellationToken);
        return TypedResults.Content(json, "application/json");
    }

    private static async Task<IResult> RunAsync(HttpContext context, GraderServices baseServices, ProjectGraderServices projectServices,
        GraderCapabilities capabilities, CancellationToken cancellationToken)
    {
        var body = await ApiJson.ReadObjectAsync(context.Request, cancellationToken);
        var grader = Required(body, "grader", JsonValueKind.Object);
        var sample = Required(body, "model_sample", JsonValueKind.String);
        JsonElement? item = null, tools = null;
        if (body.TryGetProperty("item", out var i) && i.ValueKind != JsonValueKind.Null)
            item = i.ValueKind == JsonValueKind.Object ? i : throw ApiException.BadRequest("item must be an object.", "item", "invalid_type");
        if (body.TryGetProperty("output_tools", out var t) && t.ValueKind != JsonValueKind.Null)
            tools = t.ValueKind == JsonValueKind.Array ? t : throw ApiException.BadRequest("output_tools must be an array.", "output_tools", "invalid_type");
        Guard(() => GraderApi.Validate(grader));
        var project = ApiProject.Of(context);
        await capabilities.RequireRunnableAsync(project, grader, "grader", cancellationToken);
        await PythonGraderAdmission.CheckAsync(grader, "grader", project, baseServices.Python, cancellationToken);
        // The caller's project: its judges, and its python graders in that project's workers only.
        var graders = new GraderApi(projectServices.For(project, baseServices));
        var result = await graders.RunAsync(new GraderRunRequest { Grader = grader, ModelSample = sample.GetString()!, Item = item, OutputTools = tools }, cancellationToken);
        // Tracebacks and judge errors are shown to the user: without the server's paths.
        return TypedResults.Json(ServerPaths.Scrub(JsonSerializer.SerializeToNode(result, JsonSerializerOptions.Web)));
    }

    private static JsonElement Required(JsonElement body, string name, JsonValueKind kind)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest($"Missing required parameter: '{name}'.", name, "missing_required_parameter");
        if (value.ValueKind != kind)
            throw ApiException.BadRequest($"'{name}' must be {(kind == JsonValueKind.Object ? "an object" : "a string")}.", name, "invalid_type");
        return value;
    }

    private static T Guard<T>(Func<T> validate)
    {
        try
        {
            return validate();
        }
        catch (GraderValidationException e)
        {
            var first = e.Errors.Count > 0 ? e.Errors[0].Path : "$";
            throw ApiException.BadRequest(e.Message, "grader" + first.TrimStart('$'), "invalid_grader");
        }
    }
}
