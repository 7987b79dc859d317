namespace RftFunctions.Model;

/// <summary>How one request is sampled; the knobs and defaults follow the OpenAI / vLLM sampling parameters.</summary>
public sealed record SamplingParameters
{
    /// <summary>Divides the logits; 0 means greedy (argmax). Log-probs are reported at this temperature (1 when greedy).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p (1 = off).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens (0 = off).</summary>
    public int TopK { get; init; }

    /// <summary>Drop tokens less likely than min_p times the most likely one (0 = off).</summary>
    public double MinP { get; init; }

    /// <summary>Most new tokens per sample; reaching it finishes with <see cref="FinishReason.Length"/>.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Strings that end a sample (not included in its text); the token that completes one is kept in its ids.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Samples per prompt.</summary>
    public int N { get; init; } = 1;

    /// <summary>Seed of this request: the same prompt, parameters and seed give the same tokens.</summary>
    public long Seed { get; init; }

    /// <summary>Whether sampling EOS ends the sample (it is kept in the ids with its log-prob, not in the text).</summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>Checks the ranges; the message names the offending field.</summary>
    public void Validate()
    {
        if (Temperature < 0) throw new ArgumentException($"temperature must be >= 0, got {Temperature}");
        if (TopP is <= 0 or > 1) throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
        if (TopK < 0) throw new ArgumentException($"top_k must be >= 0, got {TopK}");
        if (MinP is < 0 or > 1) throw new ArgumentException($"min_p must be in [0, 1], got {MinP}");
        if (MaxTokens < 1) throw new ArgumentException($"max_tokens must be >= 1, got {MaxTokens}");
        if (N < 1) throw new ArgumentException($"n must be >= 1, got {N}");
        if (Stop.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings must not be empty");
    }
}

/// <summary>One prompt (already tokenised) and how to sample from it.</summary>
/// <param name="PromptIds">The prompt's token ids (at least one).</param>
/// <param name="Parameters">Sampling parameters.</param>
public sealed record GenerationRequest(IReadOnlyList<int> PromptIds, SamplingParameters Parameters);

/// <summary>Why a sample ended.</summary>
public enum FinishReason
{
    /// <summary>EOS or a stop string.</summary>
    Stop,

    /// <summary>max_tokens (or the model's context) reached.</summary>
    Length,
}

/// <summary>One generated sample.</summary>
/// <param name="RequestIndex">Index of its request.</param>
/// <param name="SampleIndex">Which of the request's n samples.</param>
/// <param name="TokenIds">Generated ids (EOS or the stop-completing token included).</param>
/// <param name="LogProbs">log p of each generated id under softmax(logits / temperature), as <see cref="TokenScorer"/> computes it.</param>
/// <param name="Text">Decoded text, cut before a stop string, without EOS.</param>
/// <param name="FinishReason">Stop or length.</param>
public sealed record GeneratedSample(int RequestIndex, int SampleIndex, IReadOnlyList<int> TokenIds, IReadOnlyList<float> LogProbs, string Text, FinishReason FinishReason);

/// <summary>A token as it is sampled, for streaming.</summary>
/// <param name="RequestIndex">Index of its request.</param>
/// <param name="SampleIndex">Which of the request's n samples.</param>
/// <param name="TokenId">The sampled id.</param>
/// <param name="LogProb">Its log-prob.</param>
public sealed record SampledToken(int RequestIndex, int SampleIndex, int TokenId, float LogProb);
