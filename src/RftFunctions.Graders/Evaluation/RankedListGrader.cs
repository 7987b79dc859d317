using RftFunctions.Graders.Config;
using RftFunctions.Graders.Templates;

namespace RftFunctions.Graders.Evaluation;

/// <summary>
/// ranked_list (our extension): reward = decay(rank of the first entry matching a reference), 0 when absent or beyond
/// max_rank. decay: reciprocal 1/r (default), exponential rate^(r-1), linear 1 - (r-1)/max_rank. Sub-rewards hit@1,
/// hit@5, hit@any (1 or 0); metadata.scores also holds the rank (0 when absent) and the number of entries read.
/// </summary>
internal sealed class RankedListGrader(RankedListGraderConfig config) : CompiledGrader(config)
{
    private readonly Template _input = Template.Parse(config.Input ?? "{{ sample.output_text }}");
    private readonly Template _reference = Template.Parse(config.Reference);
    private readonly int _maxRank = config.MaxRank ?? 100;
    private readonly bool _caseSensitive = config.CaseSensitive ?? false;

    protected override Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct)
    {
        if (!_input.TryRender(context.Sample, context.Item, out var input, out var missing))
        {
            MissingVariable(result, missing, "input");
            return Task.CompletedTask;
        }
        if (!_reference.TryRender(context.Sample, context.Item, out var reference, out missing))
        {
            MissingVariable(result, missing, "reference");
            return Task.CompletedTask;
        }
        var references = RankedList.References(reference).Select(r => RankedList.Normalize(r, _caseSensitive)).Where(r => r.Length > 0).ToList();
        var entries = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in RankedList.Extract(input, config.Extract ?? "auto", config.Field, config.ItemField))
        {
            var n = RankedList.Normalize(e, _caseSensitive);
            if (n.Length > 0 && seen.Add(n)) entries.Add(n);
            if (entries.Count >= _maxRank) break;
        }
        var rank = 0;
        for (var i = 0; i < entries.Count && rank == 0; i++)
            if (references.Any(r => RankedList.Matches(entries[i], r))) rank = i + 1;

        result.Reward = Score(rank);
        result.SubRewards["hit@1"] = rank == 1 ? 1 : 0;
        result.SubRewards["hit@5"] = rank is >= 1 and <= 5 ? 1 : 0;
        result.SubRewards["hit@any"] = rank >= 1 ? 1 : 0;
        foreach (var (k, v) in result.SubRewards) result.Metadata.Scores[k] = v;
        result.Metadata.Scores["rank"] = rank;
        result.Metadata.Scores["entries"] = entries.Count;
        return Task.CompletedTask;
    }

    /// <summary>The decay formula; rank 0 means absent.</summary>
    internal double Score(int rank)
    {
        if (rank < 1 || rank > _maxRank) return 0;
        return (config.Decay ?? "reciprocal") switch
        {
            "exponential" => Math.Pow(config.DecayRate ?? 0.5, rank - 1),
            "linear" => 1 - (double)(rank - 1) / _maxRank,
            _ => 1.0 / rank,
        };
    }
}
