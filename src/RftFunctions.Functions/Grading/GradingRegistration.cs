using Microsoft.Extensions.DependencyInjection.Extensions;

namespace RftFunctions.Functions.Grading;

/// <summary>Registers what graders may call out to (judges, embeddings, endpoint egress) from <c>Rft:Grading</c>.</summary>
public static class GradingRegistration
{
    /// <summary>Adds the grading services; safe to call more than once (the first registration wins).</summary>
    public static IServiceCollection AddRftGrading(this IServiceCollection services, IConfiguration? configuration = null)
    {
        services.TryAddSingleton(configuration?.GetSection(GradingOptions.Section).Get<GradingOptions>() ?? new GradingOptions());
        services.TryAddSingleton<JudgeDirectory>();
        services.TryAddSingleton<ProjectGraderServices>();
        services.TryAddSingleton<GraderCapabilities>();
        return services;
    }
}
