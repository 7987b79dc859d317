using System.Diagnostics;
using RftFunctions.Model;
using RftFunctions.Model.Optim;
using static TorchSharp.torch;

namespace RftFunctions.Bench;

/// <summary>
/// Where a training step's time goes (<c>model --profile</c>): the trunk forward, the chunked vocabulary scoring, the
/// backward and the optimiser step timed separately over a few steps, so an MFU change can be attributed.
/// </summary>
internal static class ModelStepProfile
{
    public static void Run(ModelConfig config, int batch, int seqLen, int steps, ScalarType dtype)
    {
        Console.WriteLine($"profile of a {dtype} training step");
        using var model = DecoderModel.Create(config, seed: 1, dtype: dtype);
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-4, weight_decay: 0.01);
        using var fused = new FusedAdamW(model.parameters(), learningRate: 1e-4);
        using var generator = new Generator(7, CPU);
        using var ids = randint(0, config.VocabSize, [batch, seqLen], generator: generator);
        var totals = new double[6];
        for (var step = -1; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            var times = new double[6];
            optimizer.zero_grad();
            times[0] = Lap(watch);
            var hidden = model.Forward(ids);
            times[1] = Lap(watch);
            var h = hidden.narrow(1, 0, seqLen - 1).reshape(batch * (seqLen - 1), -1);
            var targets = ids.narrow(1, 1, seqLen - 1).reshape(-1);
            var logits = matmul(h, model.LmHeadWeight.t());
            var loss = -logits.log_softmax(-1).gather(1, targets.unsqueeze(1)).mean();
            times[2] = Lap(watch);
            loss.backward();
            times[3] = Lap(watch);
            optimizer.step();
            times[4] = Lap(watch);
            fused.Step();
            times[5] = Lap(watch);
            Console.WriteLine($"profile step {step}: zero_grad {times[0]:F3}s forward {times[1]:F3}s head+loss {times[2]:F3}s backward {times[3]:F3}s adamw {times[4]:F3}s fused adamw {times[5]:F3}s");
            if (step >= 0) for (var i = 0; i < 6; i++) totals[i] += times[i] / steps;
        }
        Console.WriteLine($"profile mean: zero_grad {totals[0]:F3}s forward {totals[1]:F3}s head+loss {totals[2]:F3}s backward {totals[3]:F3}s adamw {totals[4]:F3}s fused adamw {totals[5]:F3}s");
    }

    private static double Lap(Stopwatch watch)
    {
        var s = watch.Elapsed.TotalSeconds;
        watch.Restart();
        return s;
    }
}
