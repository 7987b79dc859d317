using System.Net.Http.Headers;

namespace RftFunctions.Functions.Cli;

/// <summary><c>rft files upload|list|get|content|delete</c>: the <c>/v1/files</c> endpoints from the shell.</summary>
public static class FilesCommand
{
    public const string Usage = """
        usage: rft files upload PATH [--purpose fine-tune]     upload a JSONL dataset; prints the file object (status processed|error)
               rft files list [--limit N] [--after ID] [--order asc|desc] [--purpose P]
               rft files get FILE_ID | rft files content FILE_ID | rft files delete FILE_ID
        options: --url URL (or RFT_URL / OPENAI_BASE_URL; default http://127.0.0.1:7071), --key KEY (or OPENAI_API_KEY)
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0) throw new UsageException("missing verb (upload, list, get, content or delete)");
        var verb = args[0];
        switch (verb)
        {
            case "upload":
                {
                    var parsed = CliArgs.Parse(args[1..], [.. ApiClient.ConnectionOptions, "purpose"]);
                    var path = parsed.Single("PATH of the file to upload");
                    if (!File.Exists(path)) throw new CliFailureException($"no such file: {path}");
                    using var client = ApiClient.Create(parsed);
                    await using var stream = File.OpenRead(path);
                    using var form = new MultipartFormDataContent
                    {
                        { new StringContent(parsed.Option("purpose") ?? "fine-tune"), "purpose" },
                    };
                    var file = new StreamContent(stream);
                    file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
                    form.Add(file, "file", Path.GetFileName(path));
                    ApiClient.Print(await client.SendAsync(HttpMethod.Post, "v1/files", form, cancellationToken));
                    return 0;
                }
            case "list":
                {
                    var parsed = CliArgs.Parse(args[1..], [.. ApiClient.ConnectionOptions, "limit", "after", "order", "purpose"]);
                    parsed.NoPositionals();
                    using var client = ApiClient.Create(parsed);
                    ApiClient.Print(await client.GetAsync("v1/files" + Query.Of(parsed, "limit", "after", "order", "purpose"), cancellationToken));
                    return 0;
                }
            case "get" or "delete" or "content":
                {
                    var parsed = CliArgs.Parse(args[1..], ApiClient.ConnectionOptions);
                    var id = Uri.EscapeDataString(parsed.Single("FILE_ID"));
                    using var client = ApiClient.Create(parsed);
                    if (verb == "content")
                    {
                        // Raw bytes, as stored: redirect to a file or pipe on.
                        using var response = await client.SendRawAsync(HttpMethod.Get, $"v1/files/{id}/content", null, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                        await using var stdout = Console.OpenStandardOutput();
                        await response.Content.CopyToAsync(stdout, cancellationToken);
                        return 0;
                    }
                    ApiClient.Print(await client.SendAsync(verb == "get" ? HttpMethod.Get : HttpMethod.Delete, $"v1/files/{id}", null, cancellationToken));
                    return 0;
                }
            default:
                throw new UsageException($"unknown verb '{verb}'");
        }
    }
}
