namespace RftFunctions.Training.Trainer;

/// <summary>
/// Which parameters AdamW decays. The usual exemptions (Loshchilov and Hutter 2019 decouple decay for weight
/// matrices; Hugging Face Trainer's <c>get_decay_parameter_names</c> skips norms and biases; nanoGPT and minGPT also
/// skip embeddings): decaying a norm's gain pulls activations toward 0, decaying a bias or an embedding row pulls
/// a rarely-updated token toward 0 for no regularising benefit. LoRA's A and B are both decayed, as PEFT does.
/// </summary>
public static class WeightDecayPolicy
{
    /// <summary>True when the parameter named <paramref name="name"/> (Hugging Face name) gets weight decay.</summary>
    public static bool Decays(string name) =>
        !(name.EndsWith("norm.weight", StringComparison.Ordinal)
          || name.EndsWith(".bias", StringComparison.Ordinal)
          || name.Contains("embed_tokens", StringComparison.Ordinal));
}
