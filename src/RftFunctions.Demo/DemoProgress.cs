namespace RftFunctions.Demo;

/// <summary>
/// Live progress: a redrawn bar on a terminal, plain lines (one per step) when output is redirected, so logs and CI
/// stay readable.
/// </summary>
public sealed class DemoProgress(TextWriter output, bool interactive)
{
    private bool _barOpen;

    /// <summary>Progress for the console: interactive unless stdout is redirected.</summary>
    public static DemoProgress ForConsole() => new(Console.Out, !Console.IsOutputRedirected);

    /// <summary>Shows step/total of a phase with a short status text.</summary>
    public void Bar(string phase, int step, int total, string status)
    {
        if (!interactive)
        {
            // Base-model steps are many and fast: a line every 50 keeps logs short.
            if (phase == "rft" || step % 50 == 0 || step == total) output.WriteLine($"{phase} {step}/{total} {status}");
            return;
        }
        const int width = 30;
        int filled = total == 0 ? width : step * width / total;
        output.Write($"\r{phase,-10} [{new string('#', filled)}{new string('.', width - filled)}] {step}/{total} {status}   ");
        _barOpen = step < total;
        if (!_barOpen) output.WriteLine();
    }

    /// <summary>Writes a line (ending an open bar first).</summary>
    public void Line(string text)
    {
        if (_barOpen) output.WriteLine();
        _barOpen = false;
        output.WriteLine(text);
    }
}
