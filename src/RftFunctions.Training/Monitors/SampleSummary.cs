namespace RftFunctions.Training.Monitors;

/// <summary>One graded training sample as the monitors summarise it.</summary>
/// <param name="Id">A stable id a user can find the sample by (step, example and sample index).</param>
/// <param name="Text">The completion text.</param>
/// <param name="CompletionIds">The completion's token ids (n-grams are counted over them, tokenizer-neutral).</param>
/// <param name="Reward">The grader's reward.</param>
/// <param name="SubRewards">Each sub-grader's reward (a <c>multi</c> grader), by name.</param>
/// <param name="ReferenceAgreement">How well the sample agrees with the item's reference by the grader's own
/// reference-based parts (<c>string_check</c>, <c>text_similarity</c>: the reward when the grader is one, the mean of
/// such sub-graders of a <c>multi</c>); null when the grader has none.</param>
public sealed record MonitoredSample(string Id, string Text, IReadOnlyList<int> CompletionIds, double Reward, IReadOnlyDictionary<string, double> SubRewards,
    double? ReferenceAgreement = null);

/// <summary>A sample shown as evidence in a monitor's event: its id, reward, length in tokens and the first characters.</summary>
public sealed record SampleExcerpt(string SampleId, double Reward, int Length, string Excerpt);

/// <summary>
/// Sample-level statistics of a step's training samples, as sums so that the shards of a step add up
/// (<see cref="Add"/>); computed where the samples are (the grading activity), so only these numbers and at most
/// <see cref="MaxExcerpts"/> excerpts travel through the orchestration.
/// </summary>
public sealed record SampleSummary
{
    /// <summary>Excerpts kept per kind of evidence.</summary>
    public const int MaxExcerpts = 3;

    /// <summary>Characters of a sample kept in an excerpt.</summary>
    public const int ExcerptChars = 160;

    /// <summary>N-gram order for mode collapse (token bigrams: short completions still have some).</summary>
    public const int NgramOrder = 2;

    /// <summary>Samples summarised.</summary>
    public int Samples { get; init; }

    /// <summary>Groups where length and reward both vary (their correlation is defined).</summary>
    public int CorrelatedGroups { get; init; }

    /// <summary>Sum over those groups of Pearson's correlation between completion length (characters) and reward.</summary>
    public double LengthRewardCorrelationSum { get; init; }

    /// <summary>Groups with at least <see cref="NgramOrder"/>+2 n-grams in all.</summary>
    public int NgramGroups { get; init; }

    /// <summary>Sum over those groups of distinct n-grams / all n-grams of the group's samples.</summary>
    public double DistinctNgramRatioSum { get; init; }

    /// <summary>Samples whose text addresses the grader (<see cref="GraderDirectedText"/>).</summary>
    public int GraderDirected { get; init; }

    /// <summary>Sum of those samples' rewards.</summary>
    public double GraderDirectedRewardSum { get; init; }

    /// <summary>Sum of all samples' rewards.</summary>
    public double RewardSum { get; init; }

    /// <summary>Sum of all samples' squared rewards.</summary>
    public double RewardSquareSum { get; init; }

    /// <summary>Samples with a reference agreement (<see cref="MonitoredSample.ReferenceAgreement"/>).</summary>
    public int ReferenceSamples { get; init; }

    /// <summary>Sum of their reference agreements.</summary>
    public double ReferenceAgreementSum { get; init; }

    /// <summary>Up to <see cref="MaxExcerpts"/> grader-directed samples, highest reward first.</summary>
    public IReadOnlyList<SampleExcerpt> GraderDirectedExamples { get; init; } = [];

    /// <summary>The <see cref="MaxExcerpts"/> longest samples, longest first.</summary>
    public IReadOnlyList<SampleExcerpt> Longest { get; init; } = [];

    /// <summary>Per sub-grader: sum, sum of squares and sum of products with the reward (keys <c>name</c>,
    /// <c>name^2</c>, <c>name*reward</c>), and sums of products of sub-grader pairs (<c>a*b</c>, a &lt; b).</summary>
    public IReadOnlyDictionary<string, double> SubMoments { get; init; } = new Dictionary<string, double>();

    /// <summary>True when sub-grader <paramref name="name"/> counts towards the reward: the summary has its moments (the
    /// grading activity keeps only the sub-graders a multi's <c>calculate_output</c> uses), or the summary has none at
    /// all (nothing known, so every sub-grader counts).</summary>
    public bool Weighs(string name) => SubMoments.Count == 0 || SubMoments.ContainsKey(name);

    /// <summary>Mean within-group correlation of completion length and reward (0 when no group has both varying).</summary>
    public double LengthRewardCorrelation() => CorrelatedGroups == 0 ? 0 : LengthRewardCorrelationSum / CorrelatedGroups;

    /// <summary>Mean distinct-n-gram ratio of a prompt's samples (null when no group has enough n-grams).</summary>
    public double? DistinctNgramRatio() => NgramGroups == 0 ? null : DistinctNgramRatioSum / NgramGroups;

    /// <summary>Mean reference agreement (null when the grader has no reference-based part).</summary>
    public double? ReferenceAgreement() => ReferenceSamples == 0 ? null : ReferenceAgreementSum / ReferenceSamples;

    /// <summary>Mean reward of the grader-directed samples (null when none).</summary>
    public double? GraderDirectedRewardMean() => GraderDirected == 0 ? null : GraderDirectedRewardSum / GraderDirected;

    /// <summary>Mean reward of the other samples (null when none).</summary>
    public double? OtherRewardMean() => Samples - GraderDirected <= 0 ? null : (RewardSum - GraderDirectedRewardSum) / (Samples - GraderDirected);

    /// <summary>Pearson correlation over the step's samples of sub-grader <paramref name="a"/> with <paramref name="b"/>
    /// (<c>"reward"</c> for the total); null when either does not vary.</summary>
    public double? Correlation(string a, string b)
    {
        if (Samples < 2) return null;
        double Get(string key) => SubMoments.GetValueOrDefault(key);
        (double Sum, double Square) Of(string name) => name == "reward" ? (RewardSum, RewardSquareSum) : (Get(name), Get(name + "^2"));
        double cross = b == "reward" ? Get(a + "*reward") : a == "reward" ? Get(b + "*reward")
            : Get(string.CompareOrdinal(a, b) < 0 ? a + "*" + b : b + "*" + a);
        var (sa, qa) = Of(a);
        var (sb, qb) = Of(b);
        double n = Samples;
        double cov = cross / n - (sa / n * (sb / n));
        double va = qa / n - (sa / n * (sa / n)), vb = qb / n - (sb / n * (sb / n));
        return va <= 1e-12 || vb <= 1e-12 ? null : Math.Clamp(cov / Math.Sqrt(va * vb), -1, 1);
    }

    /// <summary>The two summaries of disjoint samples as one.</summary>
    public static SampleSummary Add(SampleSummary a, SampleSummary b)
    {
        var moments = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, v) in a.SubMoments.Concat(b.SubMoments)) moments[k] = moments.GetValueOrDefault(k) + v;
        return new SampleSummary
        {
            Samples = a.Samples + b.Samples,
            CorrelatedGroups = a.CorrelatedGroups + b.CorrelatedGroups,
            LengthRewardCorrelationSum = a.LengthRewardCorrelationSum + b.LengthRewardCorrelationSum,
            NgramGroups = a.NgramGroups + b.NgramGroups,
            DistinctNgramRatioSum = a.DistinctNgramRatioSum + b.DistinctNgramRatioSum,
            GraderDirected = a.GraderDirected + b.GraderDirected,
            GraderDirectedRewardSum = a.GraderDirectedRewardSum + b.GraderDirectedRewardSum,
            RewardSum = a.RewardSum + b.RewardSum,
            RewardSquareSum = a.RewardSquareSum + b.RewardSquareSum,
            ReferenceSamples = a.ReferenceSamples + b.ReferenceSamples,
            ReferenceAgreementSum = a.ReferenceAgreementSum + b.ReferenceAgreementSum,
            GraderDirectedExamples = [.. a.GraderDirectedExamples.Concat(b.GraderDirectedExamples).OrderByDescending(e => e.Reward).ThenBy(e => e.SampleId, StringComparer.Ordinal).Take(MaxExcerpts)],
            Longest = [.. a.Longest.Concat(b.Longest).OrderByDescending(e => e.Length).ThenBy(e => e.SampleId, StringComparer.Ordinal).Take(MaxExcerpts)],
            SubMoments = moments,
        };
    }

    /// <summary>Summarises <paramref name="samples"/>, whose groups are <paramref name="groupSize"/> consecutive samples
    /// of one prompt; <paramref name="graderText"/> is the grader's own literal text (see <see cref="GraderDirectedText"/>).</summary>
    public static SampleSummary Of(IReadOnlyList<MonitoredSample> samples, int groupSize, GraderDirectedText graderText)
    {
        groupSize = Math.Max(1, groupSize);
        int correlated = 0, ngramGroups = 0;
        double correlationSum = 0, distinctSum = 0;
        foreach (var group in samples.Chunk(groupSize))
        {
            // Length as the grader sees it (characters of the text): tokens and characters differ in how much text one
            // token carries, so a grader paying for length is paid for characters.
            if (Pearson(group.Select(s => (double)s.Text.Length).ToArray(), group.Select(s => s.Reward).ToArray()) is { } r)
            {
                correlated++;
                correlationSum += r;
            }
            var ngrams = group.SelectMany(s => Ngrams(s.CompletionIds)).ToList();
            if (ngrams.Count >= NgramOrder + 2)
            {
                ngramGroups++;
                distinctSum += ngrams.Distinct().Count() / (double)ngrams.Count;
            }
        }
        var directed = samples.Where(s => graderText.Addresses(s.Text)).ToList();
        var moments = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var s in samples)
        {
            foreach (var (name, value) in s.SubRewards)
            {
                moments[name] = moments.GetValueOrDefault(name) + value;
                moments[name + "^2"] = moments.GetValueOrDefault(name + "^2") + (value * value);
                moments[name + "*reward"] = moments.GetValueOrDefault(name + "*reward") + (value * s.Reward);
                foreach (var (other, v2) in s.SubRewards)
                {
                    if (string.CompareOrdinal(name, other) < 0) moments[name + "*" + other] = moments.GetValueOrDefault(name + "*" + other) + (value * v2);
                }
            }
        }
        return new SampleSummary
        {
            Samples = samples.Count,
            CorrelatedGroups = correlated,
            LengthRewardCorrelationSum = correlationSum,
            NgramGroups = ngramGroups,
            DistinctNgramRatioSum = distinctSum,
            GraderDirected = directed.Count,
            GraderDirectedRewardSum = directed.Sum(s => s.Reward),
            RewardSum = samples.Sum(s => s.Reward),
            RewardSquareSum = samples.Sum(s => s.Reward * s.Reward),
            ReferenceSamples = samples.Count(s => s.ReferenceAgreement is not null),
            ReferenceAgreementSum = samples.Sum(s => s.ReferenceAgreement ?? 0),
            GraderDirectedExamples = [.. directed.OrderByDescending(s => s.Reward).ThenBy(s => s.Id, StringComparer.Ordinal).Take(MaxExcerpts).Select(Excerpt)],
            Longest = [.. samples.OrderByDescending(s => s.CompletionIds.Count).ThenBy(s => s.Id, StringComparer.Ordinal).Take(MaxExcerpts).Select(Excerpt)],
            SubMoments = moments,
        };
    }

    private static SampleExcerpt Excerpt(MonitoredSample s) =>
        new(s.Id, s.Reward, s.CompletionIds.Count, s.Text.Length <= ExcerptChars ? s.Text : s.Text[..ExcerptChars] + "…");

    private static IEnumerable<(int, int)> Ngrams(IReadOnlyList<int> ids)
    {
        for (int i = 0; i + NgramOrder <= ids.Count; i++) yield return (ids[i], ids[i + 1]);
    }

    /// <summary>Pearson's r, or null when either side is constant.</summary>
    internal static double? Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count < 2) return null;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx <= 1e-12 || syy <= 1e-12 ? null : Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1);
    }
}
