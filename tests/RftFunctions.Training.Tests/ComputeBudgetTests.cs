using RftFunctions.Training.Config;
using Xunit;

namespace RftFunctions.Training.Tests;

public sealed class ComputeBudgetTests
{
    [Fact]
    public void A_budget_is_exhausted_when_either_limit_is_reached_and_says_which()
    {
        var budget = new ComputeBudget(MaxTokens: 100, MaxWallSeconds: 60);
        Assert.Null(budget.Exhausted(new ComputeUsage(99, 59.9)));
        Assert.Equal("100 trained tokens of 100 allowed", budget.Exhausted(new ComputeUsage(100, 10)));
        Assert.Equal("61 s running of 60 s allowed", budget.Exhausted(new ComputeUsage(5, 61)));
        Assert.Equal("150 trained tokens of 100 allowed and 70 s running of 60 s allowed", budget.Exhausted(new ComputeUsage(150, 70)));
        Assert.Null(new ComputeBudget().Exhausted(new ComputeUsage(long.MaxValue, 1e9)));
    }

    [Fact]
    public void Extending_grows_only_the_exhausted_limits_by_the_original_allowance()
    {
        var allowance = new ComputeBudget(MaxTokens: 100, MaxWallSeconds: 60);
        var extended = allowance.Extend(new ComputeUsage(130, 20), allowance);
        Assert.Equal(new ComputeBudget(230, 60), extended);
        Assert.Null(extended.Exhausted(new ComputeUsage(130, 20)));
    }

    [Fact]
    public void Invalid_limits_are_named_in_the_config_problems()
    {
        var problems = new RftTrainingConfig { Budget = new ComputeBudget(MaxTokens: 0, MaxWallSeconds: double.NaN) }.Validate();
        Assert.Contains("Budget.MaxTokens must be positive when set", problems);
        Assert.Contains("Budget.MaxWallSeconds must be a positive number of seconds when set", problems);
    }
}
