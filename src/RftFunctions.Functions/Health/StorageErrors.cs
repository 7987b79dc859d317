using System.Net.Sockets;
using Azure;

namespace RftFunctions.Functions.Health;

/// <summary>Tells a storage outage from every other failure (issue 22).</summary>
public static class StorageErrors
{
    /// <summary>
    /// True when <paramref name="exception"/> says storage could not be reached or failed on its side: no response
    /// (refused, reset, DNS, TLS, network timeout), a 5xx or 408 from the service, or the SDK's "retry failed"
    /// <see cref="AggregateException"/> of such failures; also when one of those is wrapped (the durable engine wraps
    /// storage errors in its own exception type, activities in theirs).
    /// </summary>
    public static bool IsOutage(Exception? exception) => exception switch
    {
        null => false,
        RequestFailedException e => e.Status is 0 or 408 or >= 500 || IsOutage(e.InnerException),
        AggregateException e => e.InnerExceptions.Count > 0 && e.InnerExceptions.All(IsOutage),
        HttpRequestException or SocketException or TimeoutException => true,
        // Managed identity's token endpoint not answering is, for this process, storage not answering.
        Azure.Identity.CredentialUnavailableException or Azure.Identity.AuthenticationFailedException => true,
        _ => IsOutage(exception.InnerException),
    };
}
