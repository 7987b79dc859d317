namespace RftFunctions.Infra.Tests;

/// <summary>The repository's deployment satisfies every invariant (the broken-template tests show each can fail).</summary>
public sealed class InvariantTests(SnapshotFixture fixture)
{
    private DeploymentSnapshot Snapshot => fixture.Snapshot;

    [Fact]
    public void Training_app_scales_from_zero_on_the_task_hub_queues() =>
        Assert.Empty(Invariants.TrainingAppScalesFromZeroOnTheTaskHub(Snapshot));

    [Fact]
    public void Api_app_keeps_a_replica_and_runs_no_orchestrator_or_activity() =>
        Assert.Empty(Invariants.ApiAppRunsNoWorker(Snapshot));

    [Fact]
    public void Apps_share_one_task_hub() =>
        Assert.Empty(Invariants.AppsShareOneTaskHub(Snapshot));

    [Fact]
    public void Apps_run_as_the_user_assigned_identity() =>
        Assert.Empty(Invariants.AppsUseTheUserAssignedIdentity(Snapshot));

    [Fact]
    public void Role_assignments_are_scoped_to_resources_with_minimal_roles() =>
        Assert.Empty(Invariants.RoleAssignmentsAreLeastPrivilege(Snapshot));

    [Fact]
    public void No_secret_is_in_a_plain_app_setting() =>
        Assert.Empty(Invariants.NoSecretsInPlainSettings(Snapshot));

    [Fact]
    public void Every_queue_the_apps_use_exists_and_no_pool_queue_remains() =>
        Assert.Empty(Invariants.QueuesTheAppsUseExist(Snapshot));

    [Fact]
    public void Storage_holds_every_container_and_table_the_app_opens() =>
        Assert.Empty(Invariants.StorageLayoutMatchesTheApp(Snapshot));

    [Fact]
    public void Blob_events_for_datasets_and_checkpoint_manifests_reach_the_api() =>
        Assert.Empty(Invariants.BlobEventsReachTheApp(Snapshot));

    [Fact]
    public void Telemetry_is_wired_to_application_insights_through_key_vault() =>
        Assert.Empty(Invariants.TelemetryIsWired(Snapshot));

    [Fact]
    public void The_two_function_apps_split_the_work_as_the_design_says()
    {
        // rft-api: everything but the task hub's orchestrators and activities; rft-training: exactly those.
        var durable = Invariants.DurableFunctions.Select(f => f.Name).Order(StringComparer.Ordinal).ToList();
        var apps = Invariants.Apps(Snapshot).ToDictionary(a => a.Name);
        Assert.Equal(["rft-api", "rft-training"], apps.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(durable, apps["rft-api"].DisabledFunctions.Order(StringComparer.Ordinal));
        Assert.Empty(apps["rft-training"].DisabledFunctions);
        Assert.Equal(["rft-training"], Invariants.Workers(Snapshot).Select(a => a.Name));
        Assert.All(apps.Values, a => Assert.Equal("functionapp", a.Kind));
    }
}
