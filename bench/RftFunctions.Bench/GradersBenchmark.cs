using System.Diagnostics;
using System.Text.Json;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Python;
using RftFunctions.Graders.Templates;

namespace RftFunctions.Bench;

/// <summary>
/// Grader throughput: string_check and text_similarity (rouge_l on ~100-word texts) on one thread, python graders
/// through the whole worker pool, and the round-trip overhead of one python call.
/// Options: --seconds S (time per measurement, default 3).
/// </summary>
public sealed class GradersBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "graders";

    /// <inheritdoc />
    public string Description => "grades/s of string_check, text_similarity (rouge_l), python pool; python call overhead";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args)
    {
        var seconds = args.Length >= 2 && args[0] == "--seconds" ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3.0;
        var budget = TimeSpan.FromSeconds(seconds);

        var item = JsonDocument.Parse("""{"answer":"Paris","reference":""" + JsonSerializer.Serialize(Words(100, seed: 1)) + "}").RootElement;
        var stringCheck = Compile("""{"type":"string_check","name":"s","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}""");
        var stringContext = GradingContext.Create(GradingSample.FromOutputText("Paris"), item);
        var stringRate = await MeasureSequentialAsync(stringCheck, stringContext, budget);
        Console.WriteLine($"string_check: {stringRate:F0} grades/s");

        var rouge = Compile("""{"type":"text_similarity","name":"t","input":"{{ sample.output_text }}","reference":"{{ item.reference }}","evaluation_metric":"rouge_l"}""");
        var rougeContext = GradingContext.Create(GradingSample.FromOutputText(Words(100, seed: 2)), item);
        var rougeRate = await MeasureSequentialAsync(rouge, rougeContext, budget);
        Console.WriteLine($"text_similarity rouge_l (100 words): {rougeRate:F0} grades/s");

        var workers = Environment.ProcessorCount;
        await using var pool = new PythonGraderPool(new PythonGraderPoolOptions { Workers = workers });
        await pool.WarmUpAsync();
        var services = new GraderServices { Python = pool };
        var python = Compile(JsonSerializer.Serialize(new
        {
            type = "python",
            name = "p",
            source = "def grade(sample, item):\n    return 1.0 if sample['output_text'] == item['answer'] else 0.0\n",
        }));
        // One sequential call at a time: the pure round trip (serialize, pipe, python call, parse).
        var overheadMs = 1000.0 / await MeasureSequentialAsync(python, stringContext, budget, services);
        Console.WriteLine($"python call overhead: {overheadMs:F3} ms");
        // The whole pool: two callers per worker keep every worker busy.
        var pythonRate = await MeasureConcurrentAsync(python, stringContext, budget, services, workers * 2);
        Console.WriteLine($"python ({workers} workers, network isolated: {pool.NetworkIsolated}): {pythonRate:F0} grades/s");

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["benchmark"] = "graders",
            ["string_check_grades_per_s"] = Math.Round(stringRate),
            ["text_similarity_grades_per_s"] = Math.Round(rougeRate),
            ["python_grades_per_s"] = Math.Round(pythonRate),
            ["python_call_overhead_ms"] = Math.Round(overheadMs, 3),
            ["python_workers"] = workers,
            ["python_network_isolated"] = pool.NetworkIsolated,
            ["seconds_per_measurement"] = seconds,
        }));
        return 0;
    }

    private static CompiledGrader Compile(string json) => GraderCompiler.Compile(GraderConfigJson.Parse(json));

    private static async Task<double> MeasureSequentialAsync(CompiledGrader grader, GradingContext context, TimeSpan budget,
        GraderServices? services = null)
    {
        services ??= GraderServices.None;
        for (var i = 0; i < 20; i++) Check(await grader.GradeAsync(context, services)); // warm-up (JIT, worker caches)
        var sw = Stopwatch.StartNew();
        long n = 0;
        while (sw.Elapsed < budget)
        {
            for (var i = 0; i < 64; i++) Check(await grader.GradeAsync(context, services));
            n += 64;
        }
        return n / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> MeasureConcurrentAsync(CompiledGrader grader, GradingContext context, TimeSpan budget,
        GraderServices services, int callers)
    {
        long n = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (sw.Elapsed < budget)
            {
                Check(await grader.GradeAsync(context, services));
                Interlocked.Increment(ref n);
            }
        }));
        return n / sw.Elapsed.TotalSeconds;
    }

    private static void Check(GraderResult result)
    {
        if (result.Errors.Any)
            throw new InvalidOperationException($"benchmark grader failed: {string.Join(", ", result.Errors.SetFlags)} {result.Errors.PythonGraderRuntimeErrorDetails}");
    }

    private static string Words(int count, int seed)
    {
        string[] vocabulary =
        [
            "the", "model", "answer", "gene", "patient", "symptom", "reward", "policy", "sample", "grader", "score", "list",
            "ranked", "reference", "output", "training", "step", "value", "token", "result", "case", "report", "absent", "present",
        ];
        var random = new Random(seed);
        return string.Join(' ', Enumerable.Range(0, count).Select(_ => vocabulary[random.Next(vocabulary.Length)]));
    }
}
