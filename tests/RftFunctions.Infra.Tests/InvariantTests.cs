namespace RftFunctions.Infra.Tests;

/// <summary>The repository's deployment satisfies every invariant (the broken-template tests show each can fail).</summary>
public sealed class InvariantTests(SnapshotFixture fixture)
{
    private DeploymentSnapshot Snapshot => fixture.Snapshot;

    [Fact]
    public void Gpu_worker_scales_from_zero_on_its_work_item_queue() =>
        Assert.Empty(Invariants.GpuWorkerScalesFromZeroOnItsQueue(Snapshot));

    [Fact]
    public void Apps_scale_as_their_roles_need() =>
        Assert.Empty(Invariants.AppsScaleAsTheirRolesNeed(Snapshot));

    [Fact]
    public void Role_assignments_are_scoped_to_resources_with_minimal_roles() =>
        Assert.Empty(Invariants.RoleAssignmentsAreLeastPrivilege(Snapshot));

    [Fact]
    public void No_secret_is_in_a_plain_app_setting() =>
        Assert.Empty(Invariants.NoSecretsInPlainSettings(Snapshot));

    [Fact]
    public void Every_queue_the_apps_use_exists() =>
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
    public void The_three_apps_run_the_roles_the_design_assigns()
    {
        var roles = Invariants.Apps(Snapshot).ToDictionary(a => a.Name, a => string.Join(",", a.Roles.Order()));
        Assert.Equal(new Dictionary<string, string>
        {
            ["rft-api"] = "api,orchestrations,pool:default",
            ["rft-gpu-worker"] = "pool:gpu",
            ["rft-cpu-worker"] = "pool:cpu",
        }, roles);
    }
}
