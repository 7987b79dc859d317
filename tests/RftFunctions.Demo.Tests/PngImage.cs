using System.Buffers.Binary;
using SkiaSharp;
using Xunit;

namespace RftFunctions.Demo.Tests;

/// <summary>Checks that a file is a real chart: a PNG of the expected size whose pixels are not one flat colour.</summary>
public static class PngImage
{
    /// <summary>Asserts <paramref name="path"/> is a PNG of <paramref name="width"/> x <paramref name="height"/> with
    /// many colours (anti-aliased lines, text) and a good share of non-background pixels.</summary>
    public static void AssertChart(string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        // The IHDR chunk comes first: its width and height, big-endian, at bytes 16..23.
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        var pixels = bitmap.Pixels;
        var background = pixels.GroupBy(p => p).MaxBy(g => g.Count())!.Key;
        int drawn = pixels.Count(p => p != background);
        int colours = pixels.Distinct().Count();
        Assert.True(colours >= 20, $"{Path.GetFileName(path)}: only {colours} colours");
        Assert.True(drawn > pixels.Length / 100, $"{Path.GetFileName(path)}: only {drawn} of {pixels.Length} pixels drawn");
    }
}
