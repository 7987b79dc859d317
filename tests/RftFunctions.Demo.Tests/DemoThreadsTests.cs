using RftFunctions.Demo.Compliance;
using Xunit;

namespace RftFunctions.Demo.Tests;

/// <summary>The demo program's own options: --threads, and the compliance demo's options with their bounds.</summary>
public sealed class DemoThreadsTests
{
    [Fact]
    public void Threads_default_to_one_and_are_taken_out_of_the_arguments()
    {
        Assert.Equal(1, DemoThreads.Take(["--seed", "3"]).Threads);
        var (remaining, threads) = DemoThreads.Take(["compliance", "--threads", "2", "--seed", "3"]);
        Assert.Equal(2, threads);
        Assert.Equal(["compliance", "--seed", "3"], remaining);
        Assert.Throws<ArgumentException>(() => DemoThreads.Take(["--threads", "0"]));
        Assert.Throws<ArgumentException>(() => DemoThreads.Take(["--threads", "100000"]));
        Assert.Throws<ArgumentException>(() => DemoThreads.Take(["--threads"]));
    }

    [Fact]
    public void Compliance_options_choose_the_recipe_whatever_the_order_and_refuse_what_is_out_of_bounds()
    {
        var a = ComplianceOptions.Parse(["--train-items", "40", "--reduced", "--seed", "9", "--out", "x"]);
        var b = ComplianceOptions.Parse(["--reduced", "--train-items", "40", "--seed", "9", "--out", "x"]);
        Assert.Equal(40, a.Recipe.TrainItems);
        Assert.Equal(a.Recipe.Policies, ComplianceRecipe.Reduced.Policies);
        Assert.Equal(a.Recipe.TrainItems, b.Recipe.TrainItems);
        Assert.Equal(9, a.Seed);
        Assert.Equal("x", a.ReportDirectory);
        Assert.Throws<ArgumentException>(() => ComplianceOptions.Parse(["--epochs", "1000"]));
        Assert.Throws<ArgumentException>(() => ComplianceOptions.Parse(["--bogus"]));
    }
}
