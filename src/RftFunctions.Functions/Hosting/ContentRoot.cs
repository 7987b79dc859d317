namespace RftFunctions.Functions.Hosting;

/// <summary>Finds the folder holding host.json: <c>RFT_ROOT</c>, else the nearest one at or above the current
/// directory, else the application folder (host.json ships next to the binary).</summary>
public static class ContentRoot
{
    public static string Find()
    {
        var configured = Environment.GetEnvironmentVariable("RFT_ROOT");
        if (!string.IsNullOrEmpty(configured)) return Path.GetFullPath(configured);
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "host.json"))) return dir.FullName;
        return AppContext.BaseDirectory;
    }
}
