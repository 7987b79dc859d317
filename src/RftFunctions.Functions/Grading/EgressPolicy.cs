using System.Net;
using System.Net.Sockets;
using RftFunctions.Graders.Endpoint;

namespace RftFunctions.Functions.Grading;

/// <summary>
/// Where endpoint graders may connect. The check runs twice: at validation on the URL (so a job is refused before it
/// trains on zero reward) and in <see cref="ConnectAsync"/> on the address actually connected to, after this process's
/// own DNS lookup, so a name that resolves elsewhere at call time (DNS rebinding) cannot reach a refused address.
/// </summary>
public sealed class EgressPolicy
{
    // Not public unicast: each is refused unless the operator allows its network.
    private static readonly (IPNetwork Network, string Why)[] Refused =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified address"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address"),
        (IPNetwork.Parse("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (cloud metadata endpoints live here)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address"),
        (IPNetwork.Parse("192.0.0.0/24"), "an IETF protocol address"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address"),
        (IPNetwork.Parse("198.18.0.0/15"), "a benchmarking address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),
        (IPNetwork.Parse("::/128"), "an unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("fc00::/7"), "a private (unique local) address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("fec0::/10"), "a site-local address"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
        (IPNetwork.Parse("fd00:ec2::254/128"), "a cloud metadata address"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private readonly IReadOnlyList<string> _hosts;
    private readonly IReadOnlyList<IPNetwork> _allowed;

    /// <summary>The policy from the operator's settings (a malformed network is a start-up error, not a silent hole).</summary>
    public EgressPolicy(EndpointEgressOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _hosts = [.. options.AllowedHosts.Where(h => h.Length > 0)];
        _allowed = [.. options.AllowedNetworks.Where(n => n.Length > 0).Select(n => IPNetwork.TryParse(n.Trim(), out var net) ? net
            : throw new InvalidOperationException($"{GradingOptions.Section}:Endpoints:AllowedNetworks: '{n}' is not a CIDR network (e.g. 10.1.0.0/16)"))];
    }

    /// <summary>Why <paramref name="address"/> may not be connected to, or null when it may.</summary>
    public string? Problem(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var candidates = new List<IPAddress> { address };
        // The same IPv4 address written as IPv6 (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d) is judged as IPv4 too.
        if (address.IsIPv4MappedToIPv6) candidates.Add(address.MapToIPv4());
        else if (address.AddressFamily == AddressFamily.InterNetworkV6 && (IsIPv4Compatible(address) || Nat64.Contains(address)))
            candidates.Add(new IPAddress(address.GetAddressBytes()[12..]));
        if (candidates.Any(a => _allowed.Any(n => n.Contains(a)))) return null;
        foreach (var candidate in candidates)
            foreach (var (network, why) in Refused)
                if (network.Contains(candidate)) return $"{address} is {why}; this deployment's egress policy refuses it";
        if (IPAddress.IsLoopback(address)) return $"{address} is a loopback address; this deployment's egress policy refuses it";
        return null;
    }

    /// <summary>Why the URL may not be called (scheme, host list, resolved addresses), or null when it may.</summary>
    public async Task<string?> ProblemAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme is not ("http" or "https")) return $"'{url.Scheme}' URLs are not allowed; use http or https";
        var host = url.IdnHost;
        if (_hosts.Count > 0 && !_hosts.Any(h => EndpointSecrets.HostMatches(h, host)))
            return $"host '{host}' is not on this deployment's list of allowed endpoint hosts";
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(host, cancellationToken);
        }
        catch (SocketException e)
        {
            return $"host '{host}' does not resolve ({e.SocketErrorCode})";
        }
        return addresses.Select(Problem).FirstOrDefault(p => p is not null);
    }

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host once, refuses if any of its addresses is
    /// refused (a name must not mix allowed and refused answers), and connects to exactly the addresses it checked.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        if (_hosts.Count > 0 && !_hosts.Any(h => EndpointSecrets.HostMatches(h, host)))
            throw new EgressRefusedException($"host '{host}' is not on this deployment's list of allowed endpoint hosts");
        var addresses = await ResolveAsync(host, cancellationToken);
        foreach (var address in addresses)
            if (Problem(address) is { } problem) throw new EgressRefusedException(problem);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var literal = host.TrimStart('[').TrimEnd(']');
        if (IPAddress.TryParse(literal, out var ip)) return [ip];
        var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
        return addresses.Length > 0 ? addresses : throw new SocketException((int)SocketError.HostNotFound);
    }

    private static bool IsIPv4Compatible(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback);
    }
}
