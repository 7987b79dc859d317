using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>Where one tensor lives in a safetensors file.</summary>
/// <param name="Name">Tensor name (a Hugging Face parameter key).</param>
/// <param name="Dtype">Element type as the file names it: F32, BF16 or F16.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Begin">Start of its bytes, relative to the end of the header.</param>
/// <param name="End">End of its bytes (exclusive), relative to the end of the header.</param>
public sealed record SafetensorsEntry(string Name, string Dtype, long[] Shape, long Begin, long End)
{
    /// <summary>The TorchSharp element type of <see cref="Dtype"/>.</summary>
    public ScalarType ScalarType => SafetensorsFile.ToScalarType(Dtype);
}

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to dtype,
/// shape and byte offsets, then the raw little-endian tensor bytes. Reading checks every offset against the file
/// length before touching data, so a truncated or corrupt file fails with its name and the tensor concerned.
/// </summary>
public static class SafetensorsFile
{
    // Headers of real checkpoints are well under a megabyte; anything far larger is a corrupt length field.
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    /// <summary>Reads the header of <paramref name="path"/>: entries by name, plus the optional <c>__metadata__</c>.</summary>
    public static (IReadOnlyDictionary<string, SafetensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new SafetensorsException($"{path}: file not found");
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path, out _);
    }

    /// <summary>Loads every tensor of <paramref name="path"/> to the CPU in its stored dtype.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new SafetensorsException($"{path}: file not found");
        using var stream = File.OpenRead(path);
        var (entries, _) = ReadHeader(stream, path, out var dataStart);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries.Values) result[entry.Name] = ReadTensor(stream, dataStart, entry, path);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Reads the tensors of <paramref name="path"/> one at a time, so a large file never sits in memory whole.</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="consume">Receives each entry and its CPU tensor; the tensor is disposed when it returns.</param>
    public static void ForEachTensor(string path, Action<SafetensorsEntry, Tensor> consume)
    {
        if (!File.Exists(path)) throw new SafetensorsException($"{path}: file not found");
        using var stream = File.OpenRead(path);
        var (entries, _) = ReadHeader(stream, path, out var dataStart);
        foreach (var entry in entries.Values.OrderBy(e => e.Begin))
        {
            using var t = ReadTensor(stream, dataStart, entry, path);
            consume(entry, t);
        }
    }

    /// <summary>Writes <paramref name="tensors"/> (any device; F32, BF16 or F16) to <paramref name="path"/>.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        var meta = new JsonObject();
        foreach (var (k, v) in metadata ?? new Dictionary<string, string> { ["format"] = "pt" }) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, t) in ordered)
        {
            var bytes = t.numel() * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = ToFileDtype(t.dtype, name, path),
                ["shape"] = new JsonArray([.. t.shape.Select(d => (JsonNode)d)]),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to a multiple of 8 so the data that follows is aligned, as the reference writer does.
        var padded = (json.Length + 7) / 8 * 8;
        var headerBytes = new byte[padded];
        Array.Fill(headerBytes, (byte)' ');
        json.CopyTo(headerBytes, 0);

        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, padded);
        stream.Write(length);
        stream.Write(headerBytes);
        foreach (var (_, t) in ordered)
        {
            using var cpu = t.detach().cpu().contiguous();
            cpu.WriteBytesToStream(stream);
        }
    }

    /// <summary>Maps a file dtype name to a TorchSharp element type.</summary>
    public static ScalarType ToScalarType(string dtype) => dtype switch
    {
        "F32" => ScalarType.Float32,
        "BF16" => ScalarType.BFloat16,
        "F16" => ScalarType.Float16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new SafetensorsException($"unsupported safetensors dtype \"{dtype}\""),
    };

    private static string ToFileDtype(ScalarType t, string name, string path) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float16 => "F16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new SafetensorsException($"{path}: tensor \"{name}\" has dtype {t}, which safetensors cannot store"),
    };

    private static (IReadOnlyDictionary<string, SafetensorsEntry>, IReadOnlyDictionary<string, string>) ReadHeader(Stream stream, string path, out long dataStart)
    {
        var fileLength = stream.Length;
        if (fileLength < 8) throw new SafetensorsException($"{path}: truncated file ({fileLength} bytes; the 8-byte header length is missing)");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes)
            throw new SafetensorsException($"{path}: corrupt header (header length field is {headerLength})");
        if (8 + headerLength > fileLength)
            throw new SafetensorsException($"{path}: truncated file (header claims {headerLength} bytes, file has {fileLength - 8} after the length field)");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + headerLength;
        var dataLength = fileLength - dataStart;

        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw new SafetensorsException($"{path}: corrupt header (not a JSON object)");
        }
        catch (JsonException e)
        {
            throw new SafetensorsException($"{path}: corrupt header (invalid JSON: {e.Message})", e);
        }

        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject m)
                {
                    foreach (var (k, v) in m) metadata[k] = v?.ToString() ?? "";
                }
                continue;
            }
            entries[name] = ParseEntry(name, node, path, dataLength);
        }
        return (entries, metadata);
    }

    private static SafetensorsEntry ParseEntry(string name, JsonNode? node, string path, long dataLength)
    {
        SafetensorsException Corrupt(string problem) => new($"{path}: tensor \"{name}\": {problem}");
        if (node is not JsonObject o) throw Corrupt("header entry is not an object");
        var dtype = o["dtype"] is JsonValue dv && dv.TryGetValue<string>(out var s) ? s : throw Corrupt("dtype missing");
        ScalarType scalar;
        try
        {
            scalar = ToScalarType(dtype);
        }
        catch (SafetensorsException)
        {
            throw Corrupt($"unsupported dtype \"{dtype}\"");
        }
        if (o["shape"] is not JsonArray shapeNode) throw Corrupt("shape missing");
        var shape = shapeNode.Select(n => n is JsonValue v && v.TryGetValue<long>(out var d) && d >= 0 ? d : throw Corrupt("shape is not a list of non-negative integers")).ToArray();
        if (o["data_offsets"] is not JsonArray { Count: 2 } offsets) throw Corrupt("data_offsets missing");
        long Offset(int i) => offsets[i] is JsonValue v && v.TryGetValue<long>(out var d) ? d : throw Corrupt("data_offsets are not integers");
        long begin = Offset(0), end = Offset(1);
        var expected = shape.Aggregate(1L, (a, d) => a * d) * ElementSize(scalar);
        if (begin < 0 || end < begin) throw Corrupt($"corrupt data_offsets [{begin}, {end}]");
        if (end - begin != expected)
            throw Corrupt($"dtype {dtype} and shape [{string.Join(", ", shape)}] need {expected} bytes but data_offsets span {end - begin}");
        if (end > dataLength) throw Corrupt($"truncated file (tensor ends at byte {end} of the data section, which has {dataLength})");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static Tensor ReadTensor(Stream stream, long dataStart, SafetensorsEntry entry, string path)
    {
        var t = empty(entry.Shape, entry.ScalarType);
        try
        {
            stream.Seek(dataStart + entry.Begin, SeekOrigin.Begin);
            t.ReadBytesFromStream(stream);
            return t;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException)
        {
            t.Dispose();
            throw new SafetensorsException($"{path}: tensor \"{entry.Name}\": could not read its bytes ({e.Message})", e);
        }
    }

    private static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}
