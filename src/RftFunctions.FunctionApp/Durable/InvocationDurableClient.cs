using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Api.FineTuning;
using RftFunctions.Functions.Jobs;

namespace RftFunctions.FunctionApp.Durable;

/// <summary>
/// The durable client of the current function invocation. In Azure Functions the client comes from the
/// <c>[DurableClient]</c> binding of each invocation (the host tells the worker where its task hub is), not from
/// dependency injection; the app's services (<see cref="TrainingJobService"/>, the checkpoint trigger) take a
/// <see cref="DurableTaskClient"/>. Each function that reaches those services sets the binding's client here first;
/// the services that need it are resolved per invocation scope (<c>FunctionContext.InstanceServices</c>, which the
/// ASP.NET Core integration also uses as the request's services).
/// </summary>
public sealed class InvocationDurableClient
{
    private DurableTaskClient? _client;

    /// <summary>The binding's client; throws when the function did not set one.</summary>
    public DurableTaskClient Client => _client ?? throw new InvalidOperationException(
        "No durable client in this invocation: a function that reaches the jobs services must take a [DurableClient] DurableTaskClient and set it.");

    /// <summary>Sets the client of this invocation.</summary>
    public void Set(DurableTaskClient client) => _client = client ?? throw new ArgumentNullException(nameof(client));

    /// <summary>
    /// Registers the holder and, per invocation scope, the client and the services built on it. Call before the shared
    /// registrations (<c>RftAppServices.AddRftApp</c>), whose TryAdd then keeps these.
    /// </summary>
    public static IServiceCollection Register(IServiceCollection services)
    {
        services.AddScoped<InvocationDurableClient>();
        services.AddScoped(sp => sp.GetRequiredService<InvocationDurableClient>().Client);
        services.AddScoped<TrainingJobService>();
        services.AddScoped<FineTuningJobCreator>();
        return services;
    }
}
