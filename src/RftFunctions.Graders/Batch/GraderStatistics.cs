using System.Collections.Concurrent;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Graders.Batch;

/// <summary>Counters of one grader (or one sub-grader of a multi, keyed by its name).</summary>
public sealed record GraderCounters
{
    /// <summary>The grader name (sub-graders: their key in the multi).</summary>
    public required string Name { get; init; }

    /// <summary>The grader type.</summary>
    public required string Type { get; init; }

    /// <summary>Samples graded.</summary>
    public long Count { get; init; }

    /// <summary>Mean reward.</summary>
    public double RewardMean { get; init; }

    /// <summary>Mean execution time in seconds.</summary>
    public double LatencyMeanSeconds { get; init; }

    /// <summary>Slowest execution time in seconds.</summary>
    public double LatencyMaxSeconds { get; init; }

    /// <summary>Samples with any error flag.</summary>
    public long ErroredCount { get; init; }

    /// <summary>Samples with sample_parse_error (a metrics-event category).</summary>
    public long SampleParseErrorCount { get; init; }

    /// <summary>Samples with invalid_variable_error (a metrics-event category).</summary>
    public long InvalidVariableErrorCount { get; init; }

    /// <summary>Samples with any other flag (the metrics events' other_error category).</summary>
    public long OtherErrorCount { get; init; }

    /// <summary>How many samples had each error flag (OpenAI's flag names).</summary>
    public required IReadOnlyDictionary<string, long> ErrorCounts { get; init; }
}

/// <summary>Thread-safe per-grader counters: count, reward, latency and error flags.</summary>
public sealed class GraderStatistics
{
    private readonly ConcurrentDictionary<string, Accumulator> _byGrader = new(StringComparer.Ordinal);

    /// <summary>Adds one result (and, for a multi, one entry per sub-grader keyed <c>multiName/subName</c>).</summary>
    public void Record(GraderResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var top = _byGrader.GetOrAdd(result.Metadata.Name, n => new Accumulator(n, result.Metadata.Type));
        top.Add(result.Reward, result.Metadata.ExecutionTime, result.Errors);
        foreach (var (name, sub) in result.SubResults)
        {
            _byGrader.GetOrAdd($"{result.Metadata.Name}/{name}", n => new Accumulator(n, sub.Metadata.Type))
                .Add(sub.Reward, sub.Metadata.ExecutionTime, sub.Errors);
        }
    }

    /// <summary>A snapshot of every grader's counters.</summary>
    public IReadOnlyList<GraderCounters> Snapshot() => [.. _byGrader.Values.Select(a => a.Snapshot()).OrderBy(c => c.Name, StringComparer.Ordinal)];

    private sealed class Accumulator(string name, string type)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, long> _errors = new(StringComparer.Ordinal);
        private long _count, _errored, _sampleParse, _invalidVariable, _other;
        private double _rewardSum, _latencySum, _latencyMax;

        public void Add(double reward, double latency, GraderErrors errors)
        {
            var flags = errors.SetFlags;
            lock (_lock)
            {
                _count++;
                _rewardSum += reward;
                _latencySum += latency;
                _latencyMax = Math.Max(_latencyMax, latency);
                var any = false;
                foreach (var f in flags)
                {
                    any = true;
                    _errors[f] = _errors.GetValueOrDefault(f) + 1;
                }
                if (any) _errored++;
                if (errors.SampleParseError) _sampleParse++;
                if (errors.InvalidVariableError) _invalidVariable++;
                if (errors.CountsAsOtherError) _other++;
            }
        }

        public GraderCounters Snapshot()
        {
            lock (_lock)
            {
                return new GraderCounters
                {
                    Name = name,
                    Type = type,
                    Count = _count,
                    RewardMean = _count == 0 ? 0 : _rewardSum / _count,
                    LatencyMeanSeconds = _count == 0 ? 0 : _latencySum / _count,
                    LatencyMaxSeconds = _latencyMax,
                    ErroredCount = _errored,
                    SampleParseErrorCount = _sampleParse,
                    InvalidVariableErrorCount = _invalidVariable,
                    OtherErrorCount = _other,
                    ErrorCounts = new Dictionary<string, long>(_errors),
                };
            }
        }
    }
}
