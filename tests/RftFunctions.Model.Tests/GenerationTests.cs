using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests;

public sealed class GenerationTests
{
    private static readonly int[][] RaggedPrompts = [[72, 105, 33], [10, 20, 30, 40, 50, 60, 70, 80, 90], [257, 117, 115, 101, 114]];

    private static List<GenerationRequest> Requests(SamplingParameters p) => [.. RaggedPrompts.Select(ids => new GenerationRequest(ids, p))];

    [Theory]
    [InlineData(ModelArchitecture.Llama)]
    [InlineData(ModelArchitecture.Qwen2)]
    [InlineData(ModelArchitecture.Qwen3)]
    public void Greedy_generation_with_the_kv_cache_equals_generation_without_it_on_ragged_prompts(ModelArchitecture architecture)
    {
        var (model, tokenizer) = TinyModelFactory.Create(architecture, seed: 11);
        using var _ = model;
        var generator = new TextGenerator(model, tokenizer);
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 16, StopAtEos = false };

        var cached = generator.Generate(Requests(greedy));
        var uncached = generator.Generate(Requests(greedy), useKvCache: false);

        Assert.Equal(3, cached.Count);
        for (var i = 0; i < cached.Count; i++)
        {
            Assert.Equal(16, cached[i].TokenIds.Count);
            Assert.Equal(uncached[i].TokenIds, cached[i].TokenIds);
            for (var t = 0; t < cached[i].LogProbs.Count; t++) Assert.Equal(uncached[i].LogProbs[t], cached[i].LogProbs[t], 1e-4);
        }
    }

    [Fact]
    public void A_prompt_generates_the_same_greedy_tokens_alone_as_inside_a_padded_batch()
    {
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 12);
        using var _ = model;
        var generator = new TextGenerator(model, tokenizer);
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 12, StopAtEos = false };

        var batch = generator.Generate(Requests(greedy));
        var alone = generator.Generate([new GenerationRequest(RaggedPrompts[0], greedy)]);

        Assert.Equal(alone[0].TokenIds, batch[0].TokenIds);
    }

    [Theory]
    [InlineData(ModelArchitecture.Llama, 1.0, 1.0, 0, 0.0)]
    [InlineData(ModelArchitecture.Qwen2, 0.7, 0.9, 40, 0.0)]
    [InlineData(ModelArchitecture.Qwen3, 1.3, 1.0, 0, 0.05)]
    public void Sampled_log_probs_equal_teacher_forced_log_probs(ModelArchitecture architecture, double temperature, double topP, int topK, double minP)
    {
        var (model, tokenizer) = TinyModelFactory.Create(architecture, seed: 21);
        using var _ = model;
        var p = new SamplingParameters { Temperature = temperature, TopP = topP, TopK = topK, MinP = minP, MaxTokens = 10, N = 2, Seed = 5, StopAtEos = false };

        var samples = new TextGenerator(model, tokenizer).Generate(Requests(p));

        Assert.Equal(6, samples.Count);
        using var noGrad = no_grad();
        foreach (var sample in samples)
        {
            using var scope = NewDisposeScope();
            var prompt = RaggedPrompts[sample.RequestIndex];
            var ids = tensor(prompt.Concat(sample.TokenIds).Select(i => (long)i).ToArray()).unsqueeze(0);
            using var scores = TokenScorer.Score(model, ids, temperature: temperature, chunkRows: 7);
            var teacher = scores.LogProbs[0].data<float>().ToArray()[prompt.Length..];
            Assert.Equal(sample.TokenIds.Count, teacher.Length);
            for (var t = 0; t < teacher.Length; t++) Assert.Equal(teacher[t], sample.LogProbs[t], 1e-4);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_tokens_and_another_seed_other_tokens()
    {
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 3);
        using var _ = model;
        var generator = new TextGenerator(model, tokenizer);
        var p = new SamplingParameters { Temperature = 1.0, MaxTokens = 20, N = 3, Seed = 42, StopAtEos = false };

        var first = generator.Generate(Requests(p));
        var again = generator.Generate(Requests(p));
        var other = generator.Generate(Requests(p with { Seed = 43 }));

        Assert.Equal(first.Select(s => s.TokenIds), again.Select(s => s.TokenIds));
        Assert.NotEqual(first.Select(s => s.TokenIds), other.Select(s => s.TokenIds));
        // The n samples of one request differ from one another.
        Assert.NotEqual(first[0].TokenIds, first[1].TokenIds);
        Assert.Equal([0, 1, 2, 0, 1, 2, 0, 1, 2], first.Select(s => s.SampleIndex));
    }

    [Fact]
    public void Top_k_of_one_is_greedy()
    {
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 8);
        using var _ = model;
        var generator = new TextGenerator(model, tokenizer);

        var greedy = generator.Generate(Requests(new SamplingParameters { Temperature = 0, MaxTokens = 10, StopAtEos = false }));
        var topK1 = generator.Generate(Requests(new SamplingParameters { Temperature = 1.5, TopK = 1, MaxTokens = 10, Seed = 9, StopAtEos = false }));

        Assert.Equal(greedy.Select(s => s.TokenIds), topK1.Select(s => s.TokenIds));
    }

    [Fact]
    public void Max_tokens_finishes_with_length_and_streaming_reports_every_token()
    {
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 4);
        using var _ = model;
        var streamed = new List<SampledToken>();

        var samples = new TextGenerator(model, tokenizer).Generate(
            Requests(new SamplingParameters { MaxTokens = 7, Seed = 1, StopAtEos = false }), streamed.Add);

        Assert.All(samples, s => Assert.Equal(FinishReason.Length, s.FinishReason));
        Assert.All(samples, s => Assert.Equal(7, s.TokenIds.Count));
        Assert.Equal(21, streamed.Count);
        Assert.Equal(samples[1].TokenIds, streamed.Where(t => t.RequestIndex == 1).Select(t => t.TokenId));
    }

    [Fact]
    public void Eos_finishes_with_stop_and_is_kept_in_the_ids_but_not_the_text()
    {
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 6);
        using var _ = model;
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 12, StopAtEos = false };
        var reference = new TextGenerator(model, tokenizer).Generate([new GenerationRequest(RaggedPrompts[1], greedy)])[0];
        // Declare the third greedy token to be EOS: generation must stop right there.
        var eos = reference.TokenIds[2];
        var firstEos = reference.TokenIds.ToList().IndexOf(eos);

        var sample = new TextGenerator(model, new EosOverride(tokenizer, eos))
            .Generate([new GenerationRequest(RaggedPrompts[1], greedy with { StopAtEos = true })])[0];

        Assert.Equal(FinishReason.Stop, sample.FinishReason);
        Assert.Equal(reference.TokenIds.Take(firstEos + 1), sample.TokenIds);
        Assert.Equal(tokenizer.Decode(reference.TokenIds.Take(firstEos)), sample.Text);
    }

    [Fact]
    public void A_stop_string_finishes_with_stop_and_cuts_the_text_before_it()
    {
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 9);
        using var _ = model;
        var generator = new TextGenerator(model, tokenizer);
        var greedy = new SamplingParameters { Temperature = 0, MaxTokens = 24, StopAtEos = false };
        var reference = generator.Generate([new GenerationRequest(RaggedPrompts[2], greedy)])[0];
        // The stop string is the first printable ASCII character generated after the first token.
        var k = reference.TokenIds.Select((id, i) => (id, i)).First(x => x.i > 0 && x.id is >= 33 and < 127).i;
        var stop = ((char)reference.TokenIds[k]).ToString();
        var expectedText = reference.Text[..reference.Text.IndexOf(stop, StringComparison.Ordinal)];

        var sample = generator.Generate([new GenerationRequest(RaggedPrompts[2], greedy with { Stop = [stop] })])[0];

        Assert.Equal(FinishReason.Stop, sample.FinishReason);
        Assert.Equal(expectedText, sample.Text);
        Assert.Equal(reference.TokenIds.Take(sample.TokenIds.Count), sample.TokenIds);
        Assert.True(sample.TokenIds.Count <= k + 1);
    }

    [Fact]
    public void Invalid_sampling_parameters_are_rejected_naming_the_field()
    {
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 1);
        using var _ = model;
        var generator = new TextGenerator(model, tokenizer);

        var e = Assert.Throws<ArgumentException>(() => generator.Generate(Requests(new SamplingParameters { TopP = 0 })));
        Assert.Contains("top_p", e.Message);
        e = Assert.Throws<ArgumentException>(() => generator.Generate([new GenerationRequest([1, 99999], new SamplingParameters())]));
        Assert.Contains("vocabulary", e.Message);
    }

    private sealed class EosOverride(ITextTokenizer inner, int eos) : ITextTokenizer
    {
        public int? BosTokenId => inner.BosTokenId;

        public IReadOnlyList<int> EosTokenIds => [eos];

        public int PadTokenId => inner.PadTokenId;

        public IReadOnlyList<int> Encode(string text) => inner.Encode(text);

        public string Decode(IEnumerable<int> ids) => inner.Decode(ids);
    }
}
