using System.IO.Compression;

namespace RftFunctions.Functions.Demo;

/// <summary>One line of a plot: its points and RGB colour.</summary>
/// <param name="Points">(x, y) pairs, x increasing.</param>
/// <param name="Color">0xRRGGBB.</param>
public sealed record PlotSeries(IReadOnlyList<(double X, double Y)> Points, int Color);

/// <summary>
/// A minimal line-plot renderer writing PNG with nothing but the BCL (the demo's report must not need a drawing
/// library): white background, axes with tick marks, one polyline per series, 8-bit RGB, zlib-compressed scanlines.
/// </summary>
public static class PngLinePlot
{
    private const int Margin = 30;

    /// <summary>Renders the series into a PNG of the given size; y spans [yMin, yMax], x the series' range.</summary>
    public static byte[] Render(IReadOnlyList<PlotSeries> series, int width = 480, int height = 240, double yMin = 0, double yMax = 1)
    {
        if (width < 2 * Margin + 10 || height < 2 * Margin + 10) throw new ArgumentException($"a plot needs at least {(2 * Margin) + 10} pixels a side");
        var pixels = new byte[width * height * 3];
        Array.Fill(pixels, (byte)255);
        var all = series.SelectMany(s => s.Points).ToList();
        double xMin = all.Count > 0 ? all.Min(p => p.X) : 0, xMax = all.Count > 0 ? all.Max(p => p.X) : 1;
        if (xMax <= xMin) xMax = xMin + 1;
        if (yMax <= yMin) yMax = yMin + 1;
        int left = Margin, right = width - 10, top = 10, bottom = height - Margin;
        (int, int) ToPixel((double X, double Y) p) => (
            left + (int)Math.Round((p.X - xMin) / (xMax - xMin) * (right - left)),
            bottom - (int)Math.Round((Math.Clamp(p.Y, yMin, yMax) - yMin) / (yMax - yMin) * (bottom - top)));

        Line(pixels, width, left, bottom, right, bottom, 0x000000);
        Line(pixels, width, left, top, left, bottom, 0x000000);
        for (int i = 0; i <= 4; i++)
        {
            // Grid at quarters of the y range, so a reader can place values without labels.
            int y = bottom - (i * (bottom - top) / 4);
            Line(pixels, width, left - 4, y, left, y, 0x000000);
            if (i > 0) Line(pixels, width, left + 1, y, right, y, 0xDDDDDD);
        }
        foreach (var s in series)
        {
            for (int i = 1; i < s.Points.Count; i++)
            {
                var (x0, y0) = ToPixel(s.Points[i - 1]);
                var (x1, y1) = ToPixel(s.Points[i]);
                Line(pixels, width, x0, y0, x1, y1, s.Color);
                Line(pixels, width, x0, y0 + 1, x1, y1 + 1, s.Color);
            }
            if (s.Points.Count == 1)
            {
                var (x, y) = ToPixel(s.Points[0]);
                for (int d = -2; d <= 2; d++) Line(pixels, width, x - 2, y + d, x + 2, y + d, s.Color);
            }
        }
        return Encode(pixels, width, height);
    }

    /// <summary>Encodes 8-bit RGB pixels (row-major) as a PNG file.</summary>
    public static byte[] Encode(byte[] rgb, int width, int height)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter type None for every scanline
                z.Write(rgb, y * width * 3, width * 3);
            }
        }
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        WriteBigEndian(header, 0, (uint)width);
        WriteBigEndian(header, 4, (uint)height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type RGB
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The CRC-32 (ISO-HDLC, as PNG uses) of the bytes.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return crc ^ 0xFFFFFFFF;
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        WriteBigEndian(length, 0, (uint)data.Length);
        png.Write(length);
        var typed = new byte[4 + data.Length];
        for (int i = 0; i < 4; i++) typed[i] = (byte)type[i];
        data.CopyTo(typed, 4);
        png.Write(typed);
        var crc = new byte[4];
        WriteBigEndian(crc, 0, Crc32(typed));
        png.Write(crc);
    }

    private static void WriteBigEndian(byte[] buffer, int offset, uint value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }

    // Bresenham: exact integer steps, no anti-aliasing needed for a reward curve.
    private static void Line(byte[] pixels, int width, int x0, int y0, int x1, int y1, int color)
    {
        int height = pixels.Length / (width * 3);
        int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            if (x0 >= 0 && x0 < width && y0 >= 0 && y0 < height)
            {
                int i = ((y0 * width) + x0) * 3;
                pixels[i] = (byte)(color >> 16);
                pixels[i + 1] = (byte)(color >> 8);
                pixels[i + 2] = (byte)color;
            }
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }
}
