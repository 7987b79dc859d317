using System.Globalization;
using System.Text;

namespace RftFunctions.Durable.AzureStorage;

/// <summary>Names of a task hub's storage resources (DurableTask.AzureStorage's layout, plus per-pool work queues).</summary>
internal static class TaskHubNames
{
    public static string ControlQueue(string hub, int partition) =>
        string.Create(CultureInfo.InvariantCulture, $"{hub.ToLowerInvariant()}-control-{partition:00}");

    /// <summary>The default pool keeps upstream's single <c>{hub}-workitems</c> queue; other pools get a suffix.</summary>
    public static string WorkItemQueue(string hub, string pool) =>
        pool == DurableTaskRegistry.DefaultPool ? $"{hub.ToLowerInvariant()}-workitems" : $"{hub.ToLowerInvariant()}-workitems-{pool}";

    /// <summary>Where poison messages are moved aside (ours; upstream has none).</summary>
    public static string PoisonQueue(string hub) => $"{hub.ToLowerInvariant()}-poison";

    public static string HistoryTable(string hub) => hub + "History";

    public static string InstancesTable(string hub) => hub + "Instances";

    public static string PartitionsTable(string hub) => hub + "Partitions";

    public static string LargeMessagesContainer(string hub) => $"{hub.ToLowerInvariant()}-largemessages";

    /// <summary>FNV-1a 32-bit over the UTF-8 bytes of the instance id, modulo the partition count.</summary>
    public static int PartitionOf(string instanceId, int partitionCount)
    {
        uint hash = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(instanceId))
        {
            hash ^= b;
            hash *= 16777619;
        }
        return (int)(hash % (uint)partitionCount);
    }

    /// <summary>
    /// Table keys may not contain '/', '\', '#', '?' or control characters: those (and '%') are percent-escaped so
    /// any instance id can be a partition key.
    /// </summary>
    public static string EscapeKey(string instanceId)
    {
        var sb = new StringBuilder(instanceId.Length);
        foreach (var c in instanceId)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c)) sb.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Reverses <see cref="EscapeKey"/>.</summary>
    public static string UnescapeKey(string key) => Uri.UnescapeDataString(key);
}
