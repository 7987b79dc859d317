using System.Globalization;

namespace RftFunctions.Graders.Python;

/// <summary>Reads a process's descendants from the host's /proc (<c>/proc/PID/task/TID/children</c>).</summary>
internal static class ProcessTree
{
    /// <summary>How many processes descend from <paramref name="pid"/> (0 when it is gone or /proc cannot tell).</summary>
    public static int CountDescendants(int pid)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        var seen = new HashSet<int>();
        var pending = new Stack<int>();
        pending.Push(pid);
        while (pending.Count > 0 && seen.Count < 100_000)
        {
            var current = pending.Pop();
            foreach (var child in ChildrenOf(current))
            {
                if (child != pid && seen.Add(child)) pending.Push(child);
            }
        }
        return seen.Count;
    }

    private static IEnumerable<int> ChildrenOf(int pid)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break; // the process ended meanwhile
        }
        foreach (var task in tasks)
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var field in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var child)) yield return child;
            }
        }
    }
}
