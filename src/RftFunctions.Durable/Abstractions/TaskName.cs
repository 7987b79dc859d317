namespace RftFunctions.Durable;

/// <summary>
/// The name of an orchestrator or activity. Names compare case-insensitively, as in durabletask-dotnet, so a call to
/// "Rollout" reaches an activity registered as "rollout".
/// </summary>
public readonly struct TaskName : IEquatable<TaskName>
{
    /// <summary>Creates a task name; it must not be empty.</summary>
    public TaskName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The name as written.</summary>
    public string Name { get; }

    /// <summary>Converts a string to a task name.</summary>
    public static implicit operator TaskName(string name) => new(name);

    /// <summary>Case-insensitive equality.</summary>
    public static bool operator ==(TaskName left, TaskName right) => left.Equals(right);

    /// <summary>Case-insensitive inequality.</summary>
    public static bool operator !=(TaskName left, TaskName right) => !left.Equals(right);

    /// <summary>Case-insensitive equality.</summary>
    public bool Equals(TaskName other) => string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TaskName other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Name is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(Name);

    /// <inheritdoc/>
    public override string ToString() => Name ?? "";
}
