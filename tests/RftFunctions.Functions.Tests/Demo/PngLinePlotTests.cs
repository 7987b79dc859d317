using System.Buffers.Binary;
using System.IO.Compression;
using RftFunctions.Functions.Demo;
using Xunit;

namespace RftFunctions.Functions.Tests.Demo;

public sealed class PngLinePlotTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, PngLinePlot.Crc32("123456789"u8));
    }

    [Fact]
    public void A_plot_is_a_valid_png_with_checked_chunks_and_the_series_drawn()
    {
        var png = PngLinePlot.Render([new PlotSeries([(0, 0.0), (1, 0.5), (2, 1.0)], 0xFF0000)], width: 200, height: 100);

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        var chunks = new List<(string Type, byte[] Data)>();
        for (int at = 8; at < png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            var typeAndData = png.AsSpan(at + 4, 4 + length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.Equal(PngLinePlot.Crc32(typeAndData), crc);
            chunks.Add((System.Text.Encoding.ASCII.GetString(typeAndData[..4]), typeAndData[4..].ToArray()));
            at += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        var header = chunks[0].Data;
        Assert.Equal(13, header.Length);
        Assert.Equal(200u, BinaryPrimitives.ReadUInt32BigEndian(header));
        Assert.Equal(100u, BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)));
        Assert.Equal(8, header[8]);
        Assert.Equal(2, header[9]);

        using var z = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var scanlines = raw.ToArray();
        Assert.Equal(100 * (1 + (200 * 3)), scanlines.Length);
        int red = 0;
        for (int y = 0; y < 100; y++)
        {
            Assert.Equal(0, scanlines[y * 601]);
            for (int x = 0; x < 200; x++)
            {
                int i = (y * 601) + 1 + (x * 3);
                if (scanlines[i] == 255 && scanlines[i + 1] == 0 && scanlines[i + 2] == 0) red++;
            }
        }
        Assert.True(red > 100, $"only {red} pixels of the series were drawn");
    }
}
