using System.Globalization;

namespace RftFunctions.Graders.Formulas;

/// <summary>The formula did not parse; <see cref="Position"/> is the 0-based character offset of the problem.</summary>
public sealed class FormulaParseException(string message, int position) : Exception(message)
{
    /// <summary>0-based offset into the formula text.</summary>
    public int Position { get; } = position;
}

/// <summary>
/// A parsed <c>calculate_output</c> expression: numbers, sub-grader names, <c>+ - * / ^</c>, parentheses, unary minus and
/// the functions min, max (one or more arguments), abs, floor, ceil, exp, sqrt, log (natural). Precedence, lowest first:
/// <c>+ -</c>, <c>* /</c>, unary minus, <c>^</c> (right-associative), so <c>-2^2 = -4</c> as in Python.
/// Arithmetic is IEEE double: <c>x/0</c> is ±infinity and <c>0/0</c>, <c>sqrt(-1)</c>, <c>log(-1)</c> are NaN; the multi
/// grader turns a non-finite result into reward 0 with <c>other_error</c>.
/// The text is user input parsed by recursive descent, so it is bounded: at most <see cref="MaxLength"/> characters and
/// <see cref="MaxDepth"/> levels of nesting (parentheses, function calls, unary signs, powers); beyond either the parse
/// fails with <see cref="FormulaParseException"/> instead of overflowing the stack and ending the process.
/// </summary>
public sealed class Formula
{
    /// <summary>The longest formula accepted, in characters (OpenAI's examples are a few dozen).</summary>
    public const int MaxLength = 4096;

    /// <summary>The deepest nesting accepted; each level is a few stack frames, far below any thread's stack.</summary>
    public const int MaxDepth = 64;

    private static readonly HashSet<string> UnaryFunctions = ["abs", "floor", "ceil", "exp", "sqrt", "log"];
    private static readonly HashSet<string> VariadicFunctions = ["min", "max"];

    private readonly FormulaNode _root;

    private Formula(string text, FormulaNode root, IReadOnlySet<string> variables)
    {
        Text = text;
        _root = root;
        Variables = variables;
    }

    /// <summary>The source text.</summary>
    public string Text { get; }

    /// <summary>Every variable name the formula mentions.</summary>
    public IReadOnlySet<string> Variables { get; }

    /// <summary>Evaluates with the given variable values; a missing variable is NaN.</summary>
    public double Evaluate(IReadOnlyDictionary<string, double> variables) => _root.Evaluate(variables);

    /// <summary>Parses the text or throws <see cref="FormulaParseException"/>.</summary>
    public static Formula Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
            throw new FormulaParseException($"the formula is {text.Length} characters long; the limit is {MaxLength}", MaxLength);
        var parser = new Parser(text);
        var root = parser.ParseAll();
        return new Formula(text, root, parser.Variables);
    }

    private sealed class Parser(string text)
    {
        private int _pos;
        private int _depth;

        public HashSet<string> Variables { get; } = new(StringComparer.Ordinal);

        public FormulaNode ParseAll()
        {
            SkipSpace();
            if (_pos >= text.Length) throw new FormulaParseException("the formula is empty", 0);
            var node = ParseSum();
            SkipSpace();
            if (_pos < text.Length) throw new FormulaParseException($"unexpected '{text[_pos]}' at position {_pos}", _pos);
            return node;
        }

        private FormulaNode ParseSum()
        {
            var left = ParseProduct();
            while (true)
            {
                SkipSpace();
                if (_pos < text.Length && text[_pos] is '+' or '-')
                {
                    var op = text[_pos++];
                    left = new BinaryNode(op, left, ParseProduct());
                }
                else return left;
            }
        }

        private FormulaNode ParseProduct()
        {
            var left = ParseUnary();
            while (true)
            {
                SkipSpace();
                if (_pos < text.Length && text[_pos] is '*' or '/')
                {
                    var op = text[_pos++];
                    left = new BinaryNode(op, left, ParseUnary());
                }
                else return left;
            }
        }

        // Every recursive path of the grammar (parentheses, call arguments, signs, exponents) passes through here, so
        // counting depth here bounds the whole recursion; the left-associative loops of + - * / do not recurse.
        private FormulaNode ParseUnary()
        {
            if (++_depth > MaxDepth)
                throw new FormulaParseException($"the formula nests deeper than {MaxDepth} levels (position {_pos})", _pos);
            try
            {
                return ParseUnaryLevel();
            }
            finally
            {
                _depth--;
            }
        }

        private FormulaNode ParseUnaryLevel()
        {
            SkipSpace();
            if (_pos < text.Length && text[_pos] == '-')
            {
                _pos++;
                return new NegateNode(ParseUnary());
            }
            if (_pos < text.Length && text[_pos] == '+')
            {
                _pos++;
                return ParseUnary();
            }
            return ParsePower();
        }

        private FormulaNode ParsePower()
        {
            var baseNode = ParseAtom();
            SkipSpace();
            if (_pos < text.Length && text[_pos] == '^')
            {
                _pos++;
                // Right-associative, and the exponent may carry its own unary minus: 2^-1.
                return new BinaryNode('^', baseNode, ParseUnary());
            }
            return baseNode;
        }

        private FormulaNode ParseAtom()
        {
            SkipSpace();
            if (_pos >= text.Length) throw new FormulaParseException("the formula ends where a value was expected", _pos);
            var c = text[_pos];
            if (c == '(')
            {
                _pos++;
                var inner = ParseSum();
                Expect(')');
                return inner;
            }
            if (char.IsAsciiDigit(c) || c == '.') return ParseNumber();
            if (char.IsLetter(c) || c == '_') return ParseName();
            throw new FormulaParseException($"unexpected '{c}' at position {_pos}", _pos);
        }

        private NumberNode ParseNumber()
        {
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiDigit(text[_pos]) || text[_pos] == '.')) _pos++;
            if (_pos < text.Length && text[_pos] is 'e' or 'E')
            {
                var save = _pos;
                _pos++;
                if (_pos < text.Length && text[_pos] is '+' or '-') _pos++;
                if (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                    while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
                else _pos = save;
            }
            var token = text[start.._pos];
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new FormulaParseException($"'{token}' is not a number (position {start})", start);
            return new NumberNode(value);
        }

        private FormulaNode ParseName()
        {
            var start = _pos;
            while (_pos < text.Length && (char.IsLetterOrDigit(text[_pos]) || text[_pos] == '_')) _pos++;
            var name = text[start.._pos];
            SkipSpace();
            if (_pos < text.Length && text[_pos] == '(')
            {
                _pos++;
                var args = new List<FormulaNode>();
                SkipSpace();
                if (_pos < text.Length && text[_pos] == ')') _pos++;
                else
                {
                    while (true)
                    {
                        args.Add(ParseSum());
                        SkipSpace();
                        if (_pos < text.Length && text[_pos] == ',') { _pos++; continue; }
                        Expect(')');
                        break;
                    }
                }
                if (UnaryFunctions.Contains(name))
                {
                    if (args.Count != 1)
                        throw new FormulaParseException($"{name}() takes exactly 1 argument, got {args.Count} (position {start})", start);
                }
                else if (VariadicFunctions.Contains(name))
                {
                    if (args.Count == 0)
                        throw new FormulaParseException($"{name}() needs at least 1 argument (position {start})", start);
                }
                else
                {
                    throw new FormulaParseException(
                        $"unknown function '{name}' (position {start}); known: min, max, abs, floor, ceil, exp, sqrt, log", start);
                }
                return new CallNode(name, args);
            }
            Variables.Add(name);
            return new VariableNode(name);
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (_pos >= text.Length) throw new FormulaParseException($"missing '{c}' at the end of the formula", _pos);
            if (text[_pos] != c) throw new FormulaParseException($"expected '{c}' at position {_pos}, found '{text[_pos]}'", _pos);
            _pos++;
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }
    }
}
