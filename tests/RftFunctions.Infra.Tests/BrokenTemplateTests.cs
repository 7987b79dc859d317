namespace RftFunctions.Infra.Tests;

/// <summary>
/// Each invariant catches the mistake it exists for: a copy of infra/ is broken in one place, expanded, and the
/// invariant must report it. One or two breakages per invariant: every case costs a Bicep CLI run of several seconds. If an edit's text no longer occurs in the template, the test fails loudly instead of
/// passing vacuously.
/// </summary>
public sealed class BrokenTemplateTests
{
    private sealed record Breakage(
        Func<DeploymentSnapshot, List<string>> Invariant, string ExpectedViolation, TemplateEdit[] Edits, Dictionary<string, string>? Parameters = null);

    private static readonly Dictionary<string, Breakage> Breakages = new()
    {
        ["gpu worker keeps a replica"] = new(Invariants.GpuWorkerScalesFromZeroOnItsQueue, "minReplicas is 1",
            [new("main.bicep", "    minReplicas: 0\n    maxReplicas: gpuWorkerMaxReplicas", "    minReplicas: 1\n    maxReplicas: gpuWorkerMaxReplicas")]),
        ["gpu worker has no queue rule"] = new(Invariants.GpuWorkerScalesFromZeroOnItsQueue, "no azure-queue scale rule on rfthub-workitems-gpu",
            [new("main.bicep", "scaleQueueName: storage.outputs.workItemQueues[indexOf(workerPools, 'gpu')]", "scaleQueueName: ''")]),
        ["gpu worker runs on the cpu"] = new(Invariants.GpuWorkerScalesFromZeroOnItsQueue, "Rft__Device is cpu",
            [new("main.bicep", "    device: 'cuda'\n", "")]),
        ["api host scales to zero"] = new(Invariants.AppsScaleAsTheirRolesNeed, "at least one replica",
            [new("main.bicep", "    minReplicas: 1\n", "    minReplicas: 0\n")]),
        ["storage role swapped for a management role"] = new(Invariants.RoleAssignmentsAreLeastPrivilege, "more than the apps need",
            [new("modules/storage-roles.bicep", "blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'", "blobDataContributor: '17d1049b-9a84-46fb-8f53-869881c3d3ab'")]),
        ["storage roles at resource-group scope"] = new(Invariants.RoleAssignmentsAreLeastPrivilege, "too wide",
            [new("modules/storage-roles.bicep", "    scope: account\n", "")]),
        ["connection string as a plain setting"] = new(Invariants.NoSecretsInPlainSettings, "looks like a secret",
            [new("modules/container-app.bicep", "{ name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }",
                "{ name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: 'InstrumentationKey=00000000-0000-0000-0000-000000000000' }")]),
        ["work-item queues not created"] = new(Invariants.QueuesTheAppsUseExist, "rfthub-workitems-gpu",
            [new("modules/storage.bicep", "concat(controlQueues, workItemQueues, ['${hub}-poison', 'webjobs-blobtrigger-poison'])", "concat(controlQueues, ['${hub}-poison', 'webjobs-blobtrigger-poison'])")]),
        ["models container missing"] = new(Invariants.StorageLayoutMatchesTheApp, "blob container 'models'",
            [new("modules/storage.bicep", "  'models'\n", "")]),
        ["checkpoint manifests not routed"] = new(Invariants.BlobEventsReachTheApp, "manifest.json",
            [new("modules/blob-events.bicep", "subjectEndsWith: '/manifest.json'", "subjectEndsWith: '/model.safetensors'")]),
        ["telemetry secret holds the wrong value"] = new(Invariants.TelemetryIsWired, "Application Insights connection string",
            [new("modules/keyvault.bicep", "value: appInsights.properties.ConnectionString", "value: appInsights.properties.InstrumentationKey")]),
    };

    public static TheoryData<string> Cases => new(Breakages.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Invariant_reports_the_broken_template(string breakage)
    {
        var broken = Breakages[breakage];
        var snapshot = await DeploymentSnapshot.CreateAsync(broken.Edits, broken.Parameters);
        var violations = broken.Invariant(snapshot);
        Assert.True(violations.Any(v => v.Contains(broken.ExpectedViolation, StringComparison.Ordinal)),
            $"expected a violation mentioning '{broken.ExpectedViolation}', got: [{string.Join("; ", violations)}]");
    }
}
