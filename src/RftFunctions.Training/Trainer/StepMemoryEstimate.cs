using RftFunctions.Model;
using RftFunctions.Training.Config;

namespace RftFunctions.Training.Trainer;

/// <summary>
/// Upper-end estimates, in bytes, of what one rollout or policy-update step allocates beyond the model's weights,
/// from the model's shape and the step's sizes: the KV cache and vocabulary logits of sampling; the logits (with
/// their log-softmax and gradient), the activations kept for backward and the AdamW state of an update. They are
/// estimates of float32 tensors, meant to refuse a step that cannot fit before it starts, not to account exactly.
/// Arithmetic is in doubles and saturates, so absurd sizes cannot wrap around into small numbers.
/// </summary>
public static class StepMemoryEstimate
{
    private const double Float = sizeof(float);

    /// <summary>Sampling <paramref name="rows"/> sequences (prompts × samples) of up to <paramref name="promptTokens"/> +
    /// <paramref name="maxNewTokens"/> tokens with the KV cache.</summary>
    public static long Rollout(ModelConfig model, int rows, int promptTokens, int maxNewTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        double capacity = (double)promptTokens + maxNewTokens;
        double kvCache = 2.0 * model.NumHiddenLayers * rows * capacity * model.NumKeyValueHeads * model.HeadDim * Float;
        // The prefill pass runs the whole prompt through one layer at a time: hidden states, MLP and attention scores.
        double prefill = (double)rows * promptTokens * ((4.0 * model.HiddenSize) + (2.0 * model.IntermediateSize)) * Float
                         + (double)rows * model.NumAttentionHeads * promptTokens * promptTokens * Float;
        // Each token step: logits, probabilities and sampling scratch over the vocabulary, plus the ids and mask.
        double perToken = (double)rows * model.VocabSize * Float * 3 + (2.0 * rows * capacity * sizeof(long));
        return Saturate(kvCache + prefill + perToken);
    }

    /// <summary>One micro-batch of <paramref name="samplesPerMicroBatch"/> sequences of <paramref name="sequenceTokens"/>
    /// tokens through forward and backward, and the optimiser state of <paramref name="trainableParameters"/>.</summary>
    public static long PolicyUpdate(ModelConfig model, int samplesPerMicroBatch, int sequenceTokens, long trainableParameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        double tokens = (double)samplesPerMicroBatch * sequenceTokens;
        double logits = tokens * model.VocabSize * Float * 3;
        double perLayer = (tokens * ((8.0 * model.HiddenSize) + (3.0 * model.IntermediateSize)) * Float)
                          + ((double)samplesPerMicroBatch * model.NumAttentionHeads * sequenceTokens * sequenceTokens * Float * 2);
        double activations = perLayer * model.NumHiddenLayers;
        // AdamW: a gradient and two moments per trainable parameter.
        double optimizer = trainableParameters * Float * 3;
        return Saturate(logits + activations + optimizer);
    }

    /// <summary>Parameters the update trains: every weight for full fine-tuning; for LoRA, an upper bound of the
    /// adapters (rank × (in + out) per targeted projection, taking the wider of hidden and intermediate for both).</summary>
    public static long TrainableParameters(ModelConfig model, RftTrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        double hidden = model.HiddenSize, wide = Math.Max(model.HiddenSize, model.IntermediateSize);
        if (config.Mode == FineTuningMode.Lora)
            return Saturate((double)model.NumHiddenLayers * config.LoraTargets.Count * config.LoraRank * 2 * wide);
        double embeddings = (double)model.VocabSize * hidden * (model.TieWordEmbeddings ? 1 : 2);
        double attention = hidden * model.HeadDim * (model.NumAttentionHeads * 2.0 + model.NumKeyValueHeads * 2.0);
        double mlp = 3.0 * hidden * model.IntermediateSize;
        return Saturate(embeddings + (model.NumHiddenLayers * (attention + mlp)));
    }

    private static long Saturate(double bytes) => bytes >= long.MaxValue ? long.MaxValue : (long)Math.Ceiling(bytes);
}
