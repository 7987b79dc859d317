using RftFunctions.Testing;

[assembly: AssemblyFixture(typeof(StorageFixture))]
