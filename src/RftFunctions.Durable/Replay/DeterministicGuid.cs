using System.Security.Cryptography;
using System.Text;

namespace RftFunctions.Durable.Replay;

/// <summary>Name-based UUIDs (RFC 4122 version 5, SHA-1), so replays produce the same GUIDs.</summary>
internal static class DeterministicGuid
{
    /// <summary>The namespace durable GUIDs are derived in (the RFC's URL namespace).</summary>
    private static readonly Guid Namespace = new("6ba7b811-9dad-11d1-80b4-00c04fd430c8");

    public static Guid Create(string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var data = new byte[16 + nameBytes.Length];
        Namespace.TryWriteBytes(data, bigEndian: true, out _);
        nameBytes.CopyTo(data, 16);
        var hash = SHA1.HashData(data);
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
