using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using RftFunctions.Model;
using RftFunctions.Model.Optim;
using static TorchSharp.torch;

namespace RftFunctions.Bench;

/// <summary>
/// The policy model engine's speed and memory: training MFU (fp32 and bf16) of a ~34M-parameter Llama against the
/// matmul throughput measured in this process at the model's own matmul shape, KV-cache decode speedup over
/// re-running the sequence (64 sequences x 256 new tokens), and peak RSS growth against parameter + gradient +
/// AdamW-state bytes.
/// </summary>
public sealed class ModelBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Name => "model";

    /// <inheritdoc />
    public string Description => "train MFU (fp32/bf16), KV-cache decode speedup, peak RSS ratio of the policy model";

    /// <inheritdoc />
    public Task<int> RunAsync(string[] args)
    {
        var steps = IntOption(args, "--steps", 3);
        var sequences = IntOption(args, "--sequences", 64);
        var newTokens = IntOption(args, "--new-tokens", 256);
        // Without the cache every step re-runs the whole sequence; on two shared cores 64 x 256 takes far too long, so
        // the baseline generates only the first tokens of the same requests. Its cost per token grows with length, so
        // a shorter baseline overstates its speed and the reported speedup is a lower bound.
        var noCacheTokens = Math.Min(newTokens, IntOption(args, "--no-cache-tokens", 64));
        Console.WriteLine($"torch threads: {get_num_threads()}");

        // ~34M parameters (untied head), 2 sequences x 256 tokens per step.
        var trainConfig = new ModelConfig
        {
            Architecture = ModelArchitecture.Llama,
            VocabSize = 8192,
            HiddenSize = 512,
            IntermediateSize = 1408,
            NumHiddenLayers = 8,
            NumAttentionHeads = 8,
            NumKeyValueHeads = 8,
            HeadDim = 64,
            RopeTheta = 10000,
            MaxPositionEmbeddings = 2048,
        };
        const int Batch = 2, SeqLen = 256;
        if (args.Contains("--profile"))
        {
            ModelStepProfile.Run(trainConfig, Batch, SeqLen, steps, args.Contains("--bf16") ? ScalarType.BFloat16 : ScalarType.Float32);
            return Task.FromResult(0);
        }

        var mallocTuned = LimitMallocRetention();
        ResetPeakRss();
        var rssBefore = RssBytes("VmRSS");
        var fp32 = MeasureTraining(trainConfig, ScalarType.Float32, Batch, SeqLen, steps);
        var peakRss = RssBytes("VmHWM");
        var stateBytes = fp32.Parameters * 4L * 4; // fp32 weights + gradients + AdamW exp_avg + exp_avg_sq
        var peakRssRatio = (double)(peakRss - rssBefore) / stateBytes;
        Console.WriteLine($"RSS before model {rssBefore / 1e6:F0} MB, training peak {peakRss / 1e6:F0} MB, state {stateBytes / 1e6:F0} MB");

        long m = Batch * SeqLen, k = trainConfig.HiddenSize, n = trainConfig.IntermediateSize;
        var matmul32 = MeasureMatmul(ScalarType.Float32, m, k, n);
        var matmul32Square = MeasureMatmul(ScalarType.Float32, 1024, 1024, 1024);
        var bf16 = MeasureTraining(trainConfig, ScalarType.BFloat16, Batch, SeqLen, steps);
        var matmul16 = MeasureMatmul(ScalarType.BFloat16, m, k, n);

        var decode = MeasureDecode(sequences, newTokens, noCacheTokens);

        var result = new Dictionary<string, object>
        {
            ["benchmark"] = "model",
            ["train_mfu"] = Round(fp32.FlopsPerSecond / matmul32),
            ["train_mfu_bf16"] = Round(bf16.FlopsPerSecond / matmul16),
            ["kv_decode_speedup"] = Round(decode.WithCache / decode.WithoutCache),
            ["decode_tokens_per_s"] = Round(decode.WithCache),
            ["peak_rss_ratio"] = Round(peakRssRatio),
            ["train_params"] = fp32.Parameters,
            ["train_tokens_per_step"] = Batch * SeqLen,
            ["train_gflops_fp32"] = Round(fp32.FlopsPerSecond / 1e9),
            ["train_gflops_bf16"] = Round(bf16.FlopsPerSecond / 1e9),
            ["matmul_gflops_fp32"] = Round(matmul32 / 1e9),
            ["matmul_gflops_fp32_1024"] = Round(matmul32Square / 1e9),
            ["matmul_gflops_bf16"] = Round(matmul16 / 1e9),
            ["train_mfu_bf16_vs_fp32_matmul"] = Round(bf16.FlopsPerSecond / matmul32),
            ["decode_params"] = decode.Parameters,
            ["decode_sequences"] = sequences,
            ["decode_new_tokens"] = newTokens,
            ["decode_tokens_per_s_without_cache"] = Round(decode.WithoutCache),
            ["decode_new_tokens_without_cache"] = noCacheTokens,
            ["train_optimizer"] = "fused_adamw",
            ["torch_threads"] = get_num_threads(),
            ["malloc_mmap_threshold_fixed"] = mallocTuned,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return Task.FromResult(0);
    }

    private static (double FlopsPerSecond, long Parameters) MeasureTraining(ModelConfig config, ScalarType dtype, int batch, int seqLen, int steps)
    {
        using var model = DecoderModel.Create(config, seed: 1, dtype: dtype);
        model.train();
        var parameters = model.ParameterCount();
        // Matmul FLOPs per token (PaLM appendix B): 6 x non-embedding parameters + 12 x layers x width x context.
        var matmulParameters = parameters - (long)config.VocabSize * config.HiddenSize;
        var flopsPerStep = (double)batch * seqLen * (6.0 * matmulParameters + 12.0 * config.NumHiddenLayers * config.HiddenSize * seqLen);
        // libtorch's fused AdamW kernel: TorchSharp's optim.AdamW makes ~9 element-wise passes over every parameter
        // (`model --profile` times both on the same gradients).
        using var optimizer = new FusedAdamW(model.parameters(), learningRate: 1e-4, weightDecay: 0.01);
        using var generator = new Generator(7, CPU);
        using var ids = randint(0, config.VocabSize, [batch, seqLen], generator: generator);

        var watch = new Stopwatch();
        for (var step = -1; step < steps; step++)
        {
            if (step == 0) watch.Start(); // step -1 warms up allocators and creates the AdamW state
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            using var scores = TokenScorer.Score(model, ids, chunkRows: 256);
            var loss = -scores.LogProbs.sum() / (batch * (seqLen - 1));
            loss.backward();
            optimizer.Step();
            Console.WriteLine($"{dtype} step {step}: loss {loss.item<float>():F4}");
        }
        var seconds = watch.Elapsed.TotalSeconds;
        var flops = flopsPerStep * steps / seconds;
        Console.WriteLine($"{dtype} training: {parameters / 1e6:F1}M params, {seconds / steps:F2} s/step, {flops / 1e9:F1} GFLOP/s");
        return (flops, parameters);
    }

    private static double MeasureMatmul(ScalarType dtype, long m, long k, long n)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3, CPU);
        var a = randn([m, k], generator: generator).to(dtype);
        var b = randn([k, n], generator: generator).to(dtype);
        matmul(a, b).Dispose();
        var calls = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < 1.5 || calls < 3)
        {
            matmul(a, b).Dispose();
            calls++;
        }
        var flops = 2.0 * m * k * n * calls / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"matmul {dtype} [{m}x{k}]x[{k}x{n}]: {flops / 1e9:F1} GFLOP/s");
        return flops;
    }

    private static (double WithCache, double WithoutCache, long Parameters) MeasureDecode(int sequences, int newTokens, int noCacheTokens)
    {
        // Small enough that re-running 64 growing sequences for 256 steps finishes in minutes on two cores.
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 5,
            new TinyModelSize(HiddenSize: 128, IntermediateSize: 384, Layers: 2, Heads: 4, KeyValueHeads: 2, HeadDim: 32, VocabSize: 264, MaxPositionEmbeddings: 4096));
        using var _ = model;
        var generator = new TextGenerator(model, tokenizer);
        var p = new SamplingParameters { Temperature = 1.0, TopP = 0.95, MaxTokens = newTokens, StopAtEos = false };
        var requests = Enumerable.Range(0, sequences)
            .Select(i => new GenerationRequest(tokenizer.Encode($"Prompt number {i}: " + new string('x', i % 7)), p with { Seed = i }))
            .ToList();

        double Run(bool cache, int tokensPerSequence)
        {
            var watch = Stopwatch.StartNew();
            var samples = generator.Generate([.. requests.Select(r => r with { Parameters = r.Parameters with { MaxTokens = tokensPerSequence } })], useKvCache: cache);
            var tokens = samples.Sum(s => s.TokenIds.Count);
            var rate = tokens / watch.Elapsed.TotalSeconds;
            Console.WriteLine($"decode {(cache ? "with" : "without")} KV cache: {tokens} tokens in {watch.Elapsed.TotalSeconds:F1} s = {rate:F0} tokens/s");
            return rate;
        }
        generator.Generate(requests.Take(4).ToList()); // warm-up
        var withCache = Run(cache: true, newTokens);
        var withoutCache = Run(cache: false, noCacheTokens);
        return (withCache, withoutCache, model.ParameterCount());
    }

    private static long RssBytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }

    /// <summary>
    /// glibc raises its mmap threshold each time a large block is freed, after which freed tensors stay in the heap
    /// instead of going back to the OS, and RSS keeps the high-water mark of every step's activations. A fixed 1 MiB
    /// threshold (what a long-running trainer process should set too) returns them. Returns whether it was applied.
    /// </summary>
    private static bool LimitMallocRetention()
    {
        const int MallocMmapThreshold = -3;
        try
        {
            return OperatingSystem.IsLinux() && NativeMethods.mallopt(MallocMmapThreshold, 1 << 20) == 1;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static void ResetPeakRss()
    {
        // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux), so the peak is that of the training alone.
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static double Round(double value) => Math.Round(value, 4);

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "mallopt")]
        public static extern int mallopt(int param, int value);
    }
}
