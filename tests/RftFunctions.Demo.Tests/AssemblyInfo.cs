using RftFunctions.Testing;
using Xunit;

[assembly: AssemblyFixture(typeof(StorageFixture))]
