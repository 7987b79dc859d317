using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace RftFunctions.Functions.Api.Models;

/// <summary>
/// <c>POST /v1/models</c> with <c>path</c>: a folder under the operator's import root (<c>Rft:ModelImportRoot</c>),
/// read without following any symlink. The folder's path is resolved lexically under the root and every component from
/// the root down must be a real directory; each file is a model file by name (config, tokenizer, safetensors...), not
/// a symlink, and once opened its descriptor must still name the expected file (<c>/proc/self/fd</c>), so swapping a
/// component for a symlink between the check and the open is caught (the check-then-open race). Every refusal is the
/// same message, so callers cannot map which server folders exist.
/// </summary>
public static partial class ModelFolderImport
{
    /// <summary>The uniform refusal (no server path, nothing about what exists).</summary>
    public static ApiException Refused() =>
        // The caller's path is not echoed either: the answer must not differ by what the caller probed.
        ApiException.BadRequest("No model folder at that path under this server's model import root (a folder holding config.json, tokenizer.json and *.safetensors, reached through no symlink).", "path", "model_folder_not_found");

    /// <summary>True for the files of a Hugging Face model folder; anything else in the folder is not copied.</summary>
    public static bool IsModelFile(string name) => ModelFileName().IsMatch(name);

    /// <summary>
    /// Opens the model files of <paramref name="path"/> (relative to <paramref name="root"/>, or absolute inside it).
    /// The caller uploads and disposes the streams.
    /// </summary>
    public static IReadOnlyList<(string Name, FileStream Content)> Open(string root, string path)
    {
        var realRoot = RealDirectory(Path.GetFullPath(root)) ?? throw Refused();
        if (path.Contains('\0', StringComparison.Ordinal)) throw Refused();
        // Lexical first: the folder must lie under the root however the caller spells it.
        var relative = Path.GetRelativePath(realRoot, Path.GetFullPath(Path.Combine(realRoot, path)));
        if (relative is "." or ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative))
            throw Refused();
        var folder = realRoot;
        foreach (var part in relative.Split(Path.DirectorySeparatorChar))
        {
            folder = Path.Combine(folder, part);
            // lstat: a symlinked directory anywhere below the root is refused, not followed.
            var info = new DirectoryInfo(folder);
            if (!info.Exists || info.LinkTarget is not null) throw Refused();
        }
        var opened = new List<(string, FileStream)>();
        try
        {
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                if (!IsModelFile(entry.Name)) continue;
                if (entry.LinkTarget is not null || entry is not FileInfo) throw Refused();
                var expected = Path.Combine(folder, entry.Name);
                var stream = new FileStream(File.OpenHandle(expected, FileMode.Open, FileAccess.Read, FileShare.Read), FileAccess.Read);
                opened.Add((entry.Name, stream));
                if (!StillNames(stream.SafeFileHandle, expected)) throw Refused();
            }
            var names = opened.Select(o => o.Item1).ToHashSet(StringComparer.Ordinal);
            if (!names.Contains("config.json") || !names.Contains("tokenizer.json") || !names.Any(n => n.EndsWith(".safetensors", StringComparison.Ordinal)))
                throw Refused();
            return opened;
        }
        catch
        {
            foreach (var (_, stream) in opened) stream.Dispose();
            throw;
        }
    }

    /// <summary>The root with its own symlinks resolved (the operator's setting may name a link), or null when absent.</summary>
    private static string? RealDirectory(string path)
    {
        var info = new DirectoryInfo(path);
        if (!info.Exists) return null;
        var parent = info.Parent is null ? null : RealDirectory(info.Parent.FullName);
        var here = parent is null ? info.FullName : Path.Combine(parent, info.Name);
        return new DirectoryInfo(here).ResolveLinkTarget(returnFinalTarget: true)?.FullName is { } target ? RealDirectory(target) : here;
    }

    /// <summary>
    /// True when the open descriptor is the regular file at <paramref name="expected"/>: on Linux its
    /// <c>/proc/self/fd</c> link names the file actually opened, so a symlink swapped in after the lstat shows up as
    /// another path. Elsewhere (no procfs) the lstat check above stands alone.
    /// </summary>
    private static bool StillNames(SafeFileHandle handle, string expected)
    {
        var link = $"/proc/self/fd/{handle.DangerousGetHandle()}";
        if (!OperatingSystem.IsLinux() || !File.Exists(link)) return !OperatingSystem.IsLinux();
        return new FileInfo(link).LinkTarget == expected;
    }

    [GeneratedRegex(@"^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|vocab\.json|merges\.txt|tokenizer\.model|chat_template\.jinja|chat_template\.json|adapter_config\.json|[A-Za-z0-9._-]+\.safetensors|[A-Za-z0-9._-]+\.safetensors\.index\.json)$")]
    private static partial Regex ModelFileName();
}
