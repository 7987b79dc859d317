using RftFunctions.Infra.Tests;

// The Bicep CLI is CPU-heavy and starts slowly: compile, lint and expand the repository's template once per run, and
// run the test classes one after another to stay light on shared CI machines.
[assembly: AssemblyFixture(typeof(CompiledInfra))]
[assembly: AssemblyFixture(typeof(SnapshotFixture))]
[assembly: CollectionBehavior(DisableTestParallelization = true)]
