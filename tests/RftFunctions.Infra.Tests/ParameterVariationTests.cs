using System.Text.Json.Nodes;

namespace RftFunctions.Infra.Tests;

/// <summary>The invariants hold for parameters other than the defaults: names and counts flow from one parameter to
/// the storage layout, the apps' settings and the scale rules alike.</summary>
public sealed class ParameterVariationTests
{
    [Fact]
    public async Task Invariants_hold_for_another_hub_more_partitions_and_a_dedicated_gpu_profile()
    {
        var snapshot = await DeploymentSnapshot.CreateAsync(parameters: new Dictionary<string, string>
        {
            ["hubName"] = "'TrainHub'",
            ["partitionCount"] = "8",
            ["gpuProfileType"] = "'NC24-A100'",
            ["trainingCpu"] = "'24'",
            ["trainingMemory"] = "'220Gi'",
            ["trainingWorkItemsPerReplica"] = "2",
        });

        Assert.Empty(Invariants.TrainingAppScalesFromZeroOnTheTaskHub(snapshot));
        Assert.Empty(Invariants.ApiAppRunsNoWorker(snapshot));
        Assert.Empty(Invariants.AppsShareOneTaskHub(snapshot));
        Assert.Empty(Invariants.AppsUseTheUserAssignedIdentity(snapshot));
        Assert.Empty(Invariants.RoleAssignmentsAreLeastPrivilege(snapshot));
        Assert.Empty(Invariants.NoSecretsInPlainSettings(snapshot));
        Assert.Empty(Invariants.QueuesTheAppsUseExist(snapshot));
        Assert.Empty(Invariants.StorageLayoutMatchesTheApp(snapshot));

        var queues = snapshot.OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.LeafName).ToList();
        Assert.Contains("trainhub-control-07", queues);
        Assert.DoesNotContain("trainhub-control-08", queues);
        Assert.Contains("trainhub-workitems", queues);

        // One rule per task hub queue: the work-item queue sized by the parameter, eight control queues that wake it.
        var training = Invariants.Workers(snapshot).Single();
        Assert.Equal(["trainhub-workitems", .. Enumerable.Range(0, 8).Select(i => $"trainhub-control-{i:00}")],
            training.QueueRules.Select(r => r.QueueName));
        Assert.Equal("2", (string?)training.QueueRules[0].Metadata["queueLength"]);
        Assert.Equal("TrainHub", training.HubName);

        // A dedicated profile carries node counts; the default minimum of 0 keeps idle GPU nodes at zero.
        var profiles = snapshot.OfType("Microsoft.App/managedEnvironments").Single().Properties["workloadProfiles"]!.AsArray();
        var gpu = profiles.OfType<JsonObject>().Single(p => (string?)p["name"] == "gpu");
        Assert.Equal("NC24-A100", (string?)gpu["workloadProfileType"]);
        Assert.Equal(0, (int?)gpu["minimumCount"]);
        Assert.True((int?)gpu["maximumCount"] >= 1);
    }
}
