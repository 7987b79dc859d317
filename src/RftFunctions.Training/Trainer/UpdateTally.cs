namespace RftFunctions.Training.Trainer;

/// <summary>Sums over one policy update (every micro-batch of every pass), turned into token averages at the end:
/// clip ratios, KL and entropy are means over tokens, not over micro-batches (TRL gathers token counts the same way).</summary>
internal sealed class UpdateTally
{
    public double LossSum;
    public double ClippedLow;
    public double ClippedHigh;
    public double KlSum;
    public double EntropySum;
    public double Tokens;
    public double MismatchSum;
    public double MismatchMax;
    public double MismatchTokens;
    public double TruncatedWeightTokens;
    public double GradNormSum;
    public int OptimizerSteps;

    public double PerToken(double sum) => Tokens == 0 ? 0 : sum / Tokens;

    public double PerMismatchToken(double sum) => MismatchTokens == 0 ? 0 : sum / MismatchTokens;
}
