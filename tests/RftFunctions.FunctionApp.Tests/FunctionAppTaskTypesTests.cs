using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.FunctionApp.Orchestrations;
using RftFunctions.Functions.Durable;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.FunctionApp.Tests;

/// <summary>
/// Each task function declares the wire types of the class the catalog makes for its name (its input as the trigger
/// parameter, its output as the result): the Functions host serializes by these declarations, the class runs by its own.
/// The classes are made by the catalog's factories over the Function App's real services.
/// </summary>
public sealed class FunctionAppTaskTypesTests(StorageFixture storage)
{
    [Fact]
    public async Task Every_task_function_declares_its_catalog_class_input_and_output_types()
    {
        await using var services = FunctionAppTestServices.Build(storage);
        var catalog = services.GetRequiredService<TaskCatalog>();
        var methods = typeof(TaskFunctions).GetMethods().Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null).ToList();
        Assert.Equal(catalog.Orchestrators.Count + catalog.Activities.Count, methods.Count);
        await using var scope = services.CreateAsyncScope();
        foreach (var method in methods)
        {
            var name = method.GetCustomAttribute<FunctionAttribute>()!.Name;
            var output = method.ReturnType.GetGenericArguments().Single();
            if (method.GetParameters().Any(p => p.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null))
            {
                // An orchestrator function reads its input from the context (the generic argument it runs with, which
                // the cast to the class's TaskOrchestrator<TIn, TOut> checks); its result type is declared here.
                var orchestrator = catalog.Orchestrators[name](scope.ServiceProvider);
                Assert.True(orchestrator.OutputType == output, $"{name}: the function returns {output.Name}, the class {orchestrator.GetType().Name} {orchestrator.OutputType.Name}");
            }
            else
            {
                var input = method.GetParameters().Single(p => p.GetCustomAttribute<ActivityTriggerAttribute>() is not null).ParameterType;
                var activity = catalog.Activities[name](scope.ServiceProvider);
                Assert.True((activity.InputType, activity.OutputType) == (input, output),
                    $"{name}: the function declares {input.Name} -> {output.Name}, the class {activity.GetType().Name} takes {activity.InputType.Name} -> {activity.OutputType.Name}");
            }
        }
    }
}
