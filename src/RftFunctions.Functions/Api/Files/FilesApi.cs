using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using RftFunctions.Functions.Api.Auth;

namespace RftFunctions.Functions.Api.Files;

/// <summary><c>/v1/files</c>: upload (multipart, streamed to Blob Storage), list, retrieve, content, delete.</summary>
public static class FilesApi
{
    /// <summary>The only purpose this platform trains from.</summary>
    public const string FineTunePurpose = "fine-tune";

    /// <summary>The longest <c>purpose</c> part read; OpenAI's purposes are a few bytes.</summary>
    private const int MaxPurposeBytes = 256;

    /// <summary>Room for the multipart boundaries, part headers and the purpose around the file itself.</summary>
    private const long MultipartOverheadBytes = 64 << 10;

    /// <summary>Maps the endpoints under <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapFilesApi(this RouteGroupBuilder v1)
    {
        var files = v1.MapGroup("/files").WithTags("Files");
        files.MapPost("/", UploadAsync).DisableAntiforgery();
        files.MapGet("/", ListAsync);
        files.MapGet("/{fileId}", RetrieveAsync);
        files.MapGet("/{fileId}/content", ContentAsync);
        files.MapDelete("/{fileId}", DeleteAsync);
        return v1;
    }

    private static async Task<IResult> UploadAsync(HttpContext context, FileStore store, ApiOptions options, CancellationToken cancellationToken)
    {
        var project = ApiProject.Of(context);
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new ApiException(415, "Content-Type must be multipart/form-data with 'purpose' and 'file' parts.", code: "unsupported_media_type");
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw ApiException.BadRequest("The multipart boundary is missing.", code: "invalid_multipart");
        // A declared length over the limit is refused before one byte of the body is read (a client sending
        // Expect: 100-continue never sends it); the envelope around the file gets MultipartOverheadBytes of room.
        if (request.ContentLength is { } declared && declared > options.MaxUploadBytes + MultipartOverheadBytes)
            throw new ApiException(413, $"The request body is {declared} bytes; files are limited to {options.MaxUploadBytes} bytes.", "file", "file_too_large");
        // The upload limit is ours (MaxUploadBytes), enforced while streaming; Kestrel's 30 MB default would cut it short.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;

        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null };
        string? purpose = null, filename = null, fileId = null;
        try
        {
            MultipartSection? section;
            while ((section = await ReadSectionAsync(reader, cancellationToken)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (name == "purpose")
                {
                    using var text = new StreamReader(new LimitedReadStream(section.Body, MaxPurposeBytes, limit =>
                        ApiException.BadRequest($"'purpose' is longer than {limit} bytes; use '{FineTunePurpose}'.", "purpose", "invalid_value")), Encoding.UTF8);
                    purpose = (await text.ReadToEndAsync(cancellationToken)).Trim();
                }
                else if (name == "file" && fileId is null)
                {
                    filename = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    fileId = FileStore.NewId();
                    var blob = await store.BlobAsync(fileId, cancellationToken);
                    await blob.UploadAsync(new LimitedReadStream(section.Body, options.MaxUploadBytes), overwrite: true, cancellationToken);
                }
            }
            if (fileId is null || string.IsNullOrWhiteSpace(filename))
                throw ApiException.BadRequest("The 'file' part (with a filename) is missing.", "file", "missing_required_parameter");
            if (purpose is null) throw ApiException.BadRequest("The 'purpose' part is missing.", "purpose", "missing_required_parameter");
            if (purpose != FineTunePurpose)
                throw ApiException.BadRequest($"Unsupported purpose '{purpose}': this platform accepts '{FineTunePurpose}'.", "purpose", "invalid_value");
            return ApiJson.Ok(await store.RegisterAsync(project, fileId, filename, purpose, cancellationToken));
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            await DeleteUnfinishedAsync(store, fileId);
            throw ApiException.BadRequest($"The multipart body is malformed or ended early: {e.Message}", code: "invalid_multipart");
        }
        catch (Exception) when (fileId is not null)
        {
            await DeleteUnfinishedAsync(store, fileId);
            throw;
        }
    }

    /// <summary>Nothing half-stored survives a refused upload.</summary>
    private static async Task DeleteUnfinishedAsync(FileStore store, string? fileId)
    {
        if (fileId is not null)
            await (await store.BlobAsync(fileId, CancellationToken.None)).DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
    }

    private static async Task<MultipartSection?> ReadSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw ApiException.BadRequest($"The multipart body is malformed: {e.Message}", code: "invalid_multipart");
        }
        catch (InvalidDataException e)
        {
            throw ApiException.BadRequest($"The multipart body is malformed: {e.Message}", code: "invalid_multipart");
        }
    }

    private static async Task<IResult> ListAsync(HttpContext context, FileStore store, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var limit = Paging.Limit(query, defaultLimit: 10_000, max: 10_000);
        var order = query["order"].ToString();
        if (order is not ("" or "asc" or "desc")) throw ApiException.BadRequest("order must be 'asc' or 'desc'.", "order");
        var purpose = query["purpose"].ToString();
        IEnumerable<FileObject> files = await store.ListAsync(ApiProject.Of(context), cancellationToken);
        if (order == "asc") files = files.Reverse();
        if (purpose.Length > 0) files = files.Where(f => f.Purpose == purpose);
        return ApiJson.Ok(Paging.Page(files.ToList(), f => f.Id, query["after"].ToString(), limit));
    }

    private static async Task<IResult> RetrieveAsync(HttpContext context, string fileId, FileStore store, CancellationToken cancellationToken) =>
        ApiJson.Ok(await store.GetAsync(ApiProject.Of(context), fileId, cancellationToken) ?? throw ApiException.NotFound("file", fileId));

    private static async Task<IResult> ContentAsync(HttpContext context, string fileId, FileStore store, CancellationToken cancellationToken)
    {
        var content = await store.OpenReadAsync(ApiProject.Of(context), fileId, cancellationToken) ?? throw ApiException.NotFound("file", fileId);
        return TypedResults.Stream(content, "application/octet-stream");
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string fileId, FileStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(ApiProject.Of(context), fileId, cancellationToken)
            ? ApiJson.Ok(new FileDeleted(fileId, true))
            : throw ApiException.NotFound("file", fileId);
}
