using System.Security.Cryptography;
using System.Text;

namespace RftFunctions.Graders.Python;

/// <summary>A grader's python source with its content hash, which workers use to compile each source once.</summary>
public sealed class PythonGraderSource
{
    /// <summary>Wraps a source.</summary>
    public PythonGraderSource(string source)
    {
        Source = source;
        Key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source)));
    }

    /// <summary>The source text.</summary>
    public string Source { get; }

    /// <summary>SHA-256 of the source, hex.</summary>
    public string Key { get; }
}
