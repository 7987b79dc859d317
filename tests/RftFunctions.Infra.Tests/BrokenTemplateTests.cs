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
        ["training app keeps a replica"] = new(Invariants.TrainingAppScalesFromZeroOnTheTaskHub, "minReplicas is 1",
            [new("main.bicep", "    minReplicas: 0\n", "    minReplicas: 1\n")]),
        ["training app has no task hub rules"] = new(Invariants.TrainingAppScalesFromZeroOnTheTaskHub, "no azure-queue scale rule on rfthub-workitems",
            [new("main.bicep", "    taskHubQueues: storage.outputs.taskHubQueues\n", "")]),
        ["generated scale rules not overridden"] = new(Invariants.TrainingAppScalesFromZeroOnTheTaskHub, "allowScalingRuleOverride is not true",
            [new("modules/function-app.bicep", "allowScalingRuleOverride: !empty(taskHubQueues)", "allowScalingRuleOverride: false")]),
        ["scale rules count only visible messages"] = new(Invariants.TrainingAppScalesFromZeroOnTheTaskHub, "counts 'visibleonly' messages",
            [new("modules/function-app.bicep", "queueLengthStrategy: 'all'", "queueLengthStrategy: 'visibleonly'")]),
        ["training app runs on the cpu"] = new(Invariants.TrainingAppScalesFromZeroOnTheTaskHub, "Rft__Device is cpu",
            [new("main.bicep", "    device: 'cuda'\n", "")]),
        ["training app on the consumption profile"] = new(Invariants.TrainingAppScalesFromZeroOnTheTaskHub, "not a GPU profile",
            [new("main.bicep", "workloadProfileName: environment.outputs.gpuProfileName", "workloadProfileName: 'Consumption'")]),
        ["api app scales to zero"] = new(Invariants.ApiAppRunsNoWorker, "at least one replica",
            [new("main.bicep", "    minReplicas: 1\n", "    minReplicas: 0\n")]),
        ["api app runs an activity"] = new(Invariants.ApiAppRunsNoWorker, "rft-api runs activity RolloutAndGrade",
            [new("main.bicep", "  'RolloutAndGrade'\n", "")]),
        ["a disabled name the app does not register"] = new(Invariants.ApiAppRunsNoWorker, "disables 'Sample'",
            [new("main.bicep", "  'Finalize'\n", "  'Finalize'\n  'Sample'\n")]),
        ["apps on different task hubs"] = new(Invariants.AppsShareOneTaskHub, "different task hubs",
            [new("main.bicep", "    device: 'cuda'\n    storageAccountName: names.storage\n    hubName: hubName\n",
                "    device: 'cuda'\n    storageAccountName: names.storage\n    hubName: 'OtherHub'\n")]),
        ["host storage without the identity switch"] = new(Invariants.AppsUseTheUserAssignedIdentity, "AzureWebJobsStorage__credential",
            [new("modules/function-app.bicep", "  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }\n", "")]),
        ["storage role swapped for a management role"] = new(Invariants.RoleAssignmentsAreLeastPrivilege, "more than the apps need",
            [new("modules/storage-roles.bicep", "blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'", "blobDataContributor: '17d1049b-9a84-46fb-8f53-869881c3d3ab'")]),
        ["storage roles at resource-group scope"] = new(Invariants.RoleAssignmentsAreLeastPrivilege, "too wide",
            [new("modules/storage-roles.bicep", "    scope: account\n", "")]),
        ["connection string as a plain setting"] = new(Invariants.NoSecretsInPlainSettings, "looks like a secret",
            [new("modules/function-app.bicep", "{ name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }",
                "{ name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: 'InstrumentationKey=00000000-0000-0000-0000-000000000000' }")]),
        ["shared-key access left on"] = new(Invariants.NoSecretsInPlainSettings, "allows shared-key access",
            [new("modules/storage.bicep", "allowSharedKeyAccess: false", "allowSharedKeyAccess: true")]),
        ["scale rule with a connection string"] = new(Invariants.NoSecretsInPlainSettings, "authenticates with a connection string",
            [new("modules/function-app.bicep", "      metadata: {\n        accountName: storageAccountName\n",
                "      metadata: {\n        connectionFromEnv: 'AzureWebJobsStorage'\n        accountName: storageAccountName\n")]),
        ["work-item queue not created"] = new(Invariants.QueuesTheAppsUseExist, "uses queue 'rfthub-workitems'",
            [new("modules/storage.bicep", "concat(controlQueues, [workItemQueue, 'webjobs-blobtrigger-poison'])", "concat(controlQueues, ['webjobs-blobtrigger-poison'])")]),
        ["a per-pool queue comes back"] = new(Invariants.QueuesTheAppsUseExist, "per-pool queue 'rfthub-workitems-gpu'",
            [new("modules/storage.bicep", "concat(controlQueues, [workItemQueue, 'webjobs-blobtrigger-poison'])",
                "concat(controlQueues, [workItemQueue, '${hub}-workitems-gpu', 'webjobs-blobtrigger-poison'])")]),
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
