namespace RftFunctions.Functions.Api.Files;

/// <summary>Passes a stream through, counting bytes, and fails with 413 once more than <paramref name="limit"/> were read,
/// so an upload is refused while it streams instead of after it was stored whole. <paramref name="tooLarge"/> makes the
/// refusal when it is not the file's (a form field's limit names that field).</summary>
internal sealed class LimitedReadStream(Stream inner, long limit, Func<long, ApiException>? tooLarge = null) : Stream
{
    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int read)
    {
        BytesRead += read;
        if (BytesRead > limit)
            throw tooLarge?.Invoke(limit) ?? new ApiException(413, $"The file is larger than the limit of {limit} bytes.", "file", "file_too_large");
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
