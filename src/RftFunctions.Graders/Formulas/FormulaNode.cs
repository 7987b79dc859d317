namespace RftFunctions.Graders.Formulas;

/// <summary>A node of a parsed <c>calculate_output</c> expression.</summary>
internal abstract record FormulaNode
{
    /// <summary>Evaluates the node with IEEE double semantics (division by zero gives ±infinity or NaN).</summary>
    public abstract double Evaluate(IReadOnlyDictionary<string, double> variables);
}

internal sealed record NumberNode(double Value) : FormulaNode
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables) => Value;
}

internal sealed record VariableNode(string Name) : FormulaNode
{
    // A variable that has no value evaluates to NaN so the caller's non-finite check reports it instead of throwing.
    public override double Evaluate(IReadOnlyDictionary<string, double> variables) =>
        variables.TryGetValue(Name, out var v) ? v : double.NaN;
}

internal sealed record NegateNode(FormulaNode Operand) : FormulaNode
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables) => -Operand.Evaluate(variables);
}

internal sealed record BinaryNode(char Operator, FormulaNode Left, FormulaNode Right) : FormulaNode
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables)
    {
        var l = Left.Evaluate(variables);
        var r = Right.Evaluate(variables);
        return Operator switch
        {
            '+' => l + r,
            '-' => l - r,
            '*' => l * r,
            '/' => l / r,
            '^' => Math.Pow(l, r),
            _ => double.NaN,
        };
    }
}

internal sealed record CallNode(string Function, IReadOnlyList<FormulaNode> Arguments) : FormulaNode
{
    public override double Evaluate(IReadOnlyDictionary<string, double> variables)
    {
        Span<double> args = Arguments.Count <= 8 ? stackalloc double[Arguments.Count] : new double[Arguments.Count];
        for (var i = 0; i < args.Length; i++) args[i] = Arguments[i].Evaluate(variables);
        return Function switch
        {
            "min" => Fold(args, Math.Min),
            "max" => Fold(args, Math.Max),
            "abs" => Math.Abs(args[0]),
            "floor" => Math.Floor(args[0]),
            "ceil" => Math.Ceiling(args[0]),
            "exp" => Math.Exp(args[0]),
            "sqrt" => Math.Sqrt(args[0]),
            "log" => Math.Log(args[0]),
            _ => double.NaN,
        };
    }

    private static double Fold(ReadOnlySpan<double> args, Func<double, double, double> op)
    {
        var acc = args[0];
        for (var i = 1; i < args.Length; i++) acc = op(acc, args[i]);
        return acc;
    }
}
