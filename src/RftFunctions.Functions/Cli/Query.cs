namespace RftFunctions.Functions.Cli;

/// <summary>Builds a query string from the options of a list verb that were given.</summary>
public static class Query
{
    /// <summary><c>?a=1&amp;b=2</c> for the given options that are set, or an empty string.</summary>
    public static string Of(CliArgs args, params string[] names)
    {
        var pairs = names.Where(n => args.Option(n) is not null).Select(n => $"{n}={Uri.EscapeDataString(args.Option(n)!)}").ToList();
        return pairs.Count == 0 ? "" : "?" + string.Join('&', pairs);
    }
}
