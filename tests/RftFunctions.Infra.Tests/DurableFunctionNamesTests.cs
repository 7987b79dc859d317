namespace RftFunctions.Infra.Tests;

/// <summary>The names the deployment must disable on the API app are read from the app's registrations.</summary>
public sealed class DurableFunctionNamesTests
{
    [Fact]
    public void Registrations_resolve_through_constants_literals_and_nameof()
    {
        string[] sources =
        [
            """
            public static class Names
            {
                public const string Job = "TrainingJob";
                public const string Step = "Rollout";
            }
            public static class Other { public const string Step = "NotThisOne"; }
            """,
            """
            public static class Registration
            {
                public const string Local = "RecordMetrics";
                public static R Register(R registry) => registry
                    .AddOrchestrator(Names.Job, _ => new J())
                    .AddActivity(Names.Step, sp => new S())
                    .AddActivity(Local, sp => new M())
                    .AddActivity("Finalize", sp => new F())
                    .AddActivityFunc<int, int>("Checkpoint", (ctx, i) => i)
                    .AddOrchestrator<ValidationOrchestrator>(nameof(Validation), _ => new V());
            }
            """,
        ];
        var functions = DurableFunctionNames.Parse(sources);
        Assert.Equal(
            [
                new DurableFunction("TrainingJob", "Orchestrator"), new DurableFunction("Rollout", "Activity"),
                new DurableFunction("RecordMetrics", "Activity"), new DurableFunction("Finalize", "Activity"),
                new DurableFunction("Checkpoint", "Activity"), new DurableFunction("Validation", "Orchestrator"),
            ],
            functions);
    }

    [Fact]
    public void An_unresolvable_or_missing_registration_fails_loudly_instead_of_yielding_nothing()
    {
        Assert.Throws<InvalidDataException>(() => DurableFunctionNames.Parse(["registry.AddActivity(Unknown, sp => null);"]));
        Assert.Throws<InvalidDataException>(() => DurableFunctionNames.Parse(["services.AddSingleton<Foo>();"]));
        Assert.Throws<InvalidDataException>(() => DurableFunctionNames.Parse(["r.AddActivity(\"A\", x).AddActivity(\"a\", y);"]));
        // A registration whose name comes from elsewhere (an attribute on the class) must not be skipped silently.
        Assert.Throws<InvalidDataException>(() => DurableFunctionNames.Parse(["r.AddActivity(\"A\", x).AddActivity<GradeActivity>();"]));
    }

    [Fact]
    public void The_repository_registers_orchestrators_and_activities()
    {
        var functions = DurableFunctionNames.FromRepository();
        Assert.Contains(functions, f => f.Kind == "Orchestrator");
        Assert.Contains(functions, f => f.Kind == "Activity");
        // Function names become app-setting names (AzureWebJobs_<name>_Disabled): letters, digits, underscores.
        Assert.All(functions, f => Assert.Matches("^[A-Za-z][A-Za-z0-9_]*$", f.Name));
    }
}
