namespace RftFunctions.Functions.Cli;

/// <summary>A command line refused before anything ran; the CLI prints the message and the command's usage and exits 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The arguments of one verb: positionals, <c>--name value</c> / <c>--name=value</c> options and bare flags. Every
/// option must be one the verb declared, so a typo is a usage error instead of being silently ignored.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    /// <summary>The arguments that are not options, in order.</summary>
    public IReadOnlyList<string> Positionals { get; }

    private CliArgs(List<string> positionals) => Positionals = positionals;

    /// <summary>Parses <paramref name="args"/>: <paramref name="options"/> take a value, <paramref name="flags"/> do not.</summary>
    public static CliArgs Parse(IReadOnlyList<string> args, IEnumerable<string> options, IEnumerable<string>? flags = null)
    {
        var valued = options.ToHashSet(StringComparer.Ordinal);
        var bare = (flags ?? []).ToHashSet(StringComparer.Ordinal);
        var positionals = new List<string>();
        var parsed = new CliArgs(positionals);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                positionals.AddRange(args.Skip(i + 1));
                break;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                positionals.Add(arg);
                continue;
            }
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? arg[2..equals] : arg[2..];
            if (bare.Contains(name) && equals < 0)
            {
                parsed._flags.Add(name);
                continue;
            }
            if (!valued.Contains(name)) throw new UsageException($"unknown option '--{name}'");
            if (equals > 0) parsed._options[name] = arg[(equals + 1)..];
            else if (i + 1 < args.Count) parsed._options[name] = args[++i];
            else throw new UsageException($"option '--{name}' needs a value");
        }
        return parsed;
    }

    /// <summary>The option's value, or null.</summary>
    public string? Option(string name) => _options.GetValueOrDefault(name);

    /// <summary>The option's value; a usage error when missing.</summary>
    public string Required(string name) => Option(name) ?? throw new UsageException($"missing required option '--{name}'");

    /// <summary>Whether the flag was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>The option as an integer (null when absent); a usage error when it is not one.</summary>
    public int? Integer(string name) =>
        Option(name) is not { } text ? null
        : int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
        : throw new UsageException($"--{name} must be an integer, got '{text}'");

    /// <summary>The option as a number (null when absent); a usage error when it is not one.</summary>
    public double? Number(string name) =>
        Option(name) is not { } text ? null
        : double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
        : throw new UsageException($"--{name} must be a number, got '{text}'");

    /// <summary>The single positional argument called <paramref name="what"/>; a usage error when missing or repeated.</summary>
    public string Single(string what) => Positionals.Count switch
    {
        1 => Positionals[0],
        0 => throw new UsageException($"missing {what}"),
        _ => throw new UsageException($"expected one {what}, got {Positionals.Count} arguments: {string.Join(' ', Positionals)}"),
    };

    /// <summary>A usage error when there are positional arguments.</summary>
    public void NoPositionals()
    {
        if (Positionals.Count > 0) throw new UsageException($"unexpected argument '{Positionals[0]}'");
    }
}
