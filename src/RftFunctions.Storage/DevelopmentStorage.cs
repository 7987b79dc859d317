namespace RftFunctions.Storage;

/// <summary>The well-known account of the local storage emulator (Azurite).</summary>
public static class DevelopmentStorage
{
    /// <summary>Azurite's fixed development account name.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's fixed, public development account key (not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Azurite's default ports.</summary>
    public const int DefaultBlobPort = 10000, DefaultQueuePort = 10001, DefaultTablePort = 10002;

    /// <summary>What <c>UseDevelopmentStorage=true</c> stands for.</summary>
    public static string DefaultConnectionString { get; } =
        ConnectionString("127.0.0.1", DefaultBlobPort, DefaultQueuePort, DefaultTablePort);

    /// <summary>True for <c>UseDevelopmentStorage=true</c> (any case, any spacing).</summary>
    public static bool IsDevelopmentStorage(string connectionString) =>
        connectionString.Replace(" ", "", StringComparison.Ordinal).TrimEnd(';')
            .Equals("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A connection string for Azurite on the given host and ports.</summary>
    public static string ConnectionString(string host, int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://{host}:{blobPort}/{AccountName};" +
        $"QueueEndpoint=http://{host}:{queuePort}/{AccountName};" +
        $"TableEndpoint=http://{host}:{tablePort}/{AccountName};";
}
