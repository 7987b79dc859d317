namespace RftFunctions.Functions.Api.Files;

/// <summary>OpenAI's file object. <see cref="Status"/> is <c>processed</c> for a valid dataset and <c>error</c> otherwise,
/// with <see cref="StatusDetails"/> listing the first problems by line.</summary>
/// <param name="Id">file-...</param>
/// <param name="Bytes">Size in bytes.</param>
/// <param name="CreatedAt">Unix seconds.</param>
/// <param name="Filename">The uploaded name.</param>
/// <param name="Purpose">Always fine-tune here.</param>
/// <param name="Status">processed or error.</param>
/// <param name="StatusDetails">The first validation errors (line, field, message), or null.</param>
public sealed record FileObject(string Id, long Bytes, long CreatedAt, string Filename, string Purpose, string Status, string? StatusDetails)
{
    /// <summary>Always "file".</summary>
    public string Object => "file";

    /// <summary>Files do not expire here.</summary>
    public long? ExpiresAt => null;
}

/// <summary>The answer of <c>DELETE /v1/files/{id}</c>.</summary>
/// <param name="Id">The deleted file.</param>
/// <param name="Deleted">True.</param>
public sealed record FileDeleted(string Id, bool Deleted)
{
    /// <summary>Always "file".</summary>
    public string Object => "file";
}
