namespace RftFunctions.Storage;

/// <summary>Splits a storage connection string (<c>Key=Value;Key=Value</c>) into its parts.</summary>
public static class ConnectionStringParts
{
    /// <summary>The parts by key, case-insensitively; values keep any '=' they contain (account keys end in '=').</summary>
    public static IReadOnlyDictionary<string, string> Parse(string connectionString)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var segment in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = segment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new FormatException($"Storage connection string segment '{Redact(segment)}' is not Key=Value.");
            parts[segment[..equals]] = segment[(equals + 1)..];
        }
        return parts;
    }

    private static string Redact(string segment) => segment.Length > 12 ? segment[..12] + "…" : segment;
}
