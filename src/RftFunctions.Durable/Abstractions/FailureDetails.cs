namespace RftFunctions.Durable;

/// <summary>Why a task or orchestration failed; survives serialization, unlike the exception it came from.</summary>
/// <param name="ErrorType">The full name of the exception type, or a runtime reason such as "PoisonMessage".</param>
/// <param name="ErrorMessage">The error message.</param>
/// <param name="StackTrace">The stack trace, when there was one.</param>
/// <param name="InnerFailure">The failure that caused this one, if any.</param>
public sealed record FailureDetails(string ErrorType, string ErrorMessage, string? StackTrace = null, FailureDetails? InnerFailure = null)
{
    /// <summary>Captures an exception and its inner exceptions.</summary>
    public static FailureDetails FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        // A task failure rethrown by an orchestrator keeps the original details rather than wrapping the wrapper.
        if (exception is TaskFailedException { FailureDetails: var inner } tf && exception.InnerException is null)
        {
            return new FailureDetails(exception.GetType().FullName!, tf.Message, exception.StackTrace, inner);
        }
        return new FailureDetails(
            exception.GetType().FullName ?? exception.GetType().Name,
            exception.Message,
            exception.StackTrace,
            exception.InnerException is { } e ? FromException(e) : null);
    }

    /// <summary>True when the failure (not its inner failures) came from an exception of type <typeparamref name="T"/> or a subtype.</summary>
    public bool IsCausedBy<T>() where T : Exception
    {
        var type = typeof(T).Assembly.GetType(ErrorType, throwOnError: false)
                   ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(ErrorType, false)).FirstOrDefault(t => t is not null);
        return type is not null && typeof(T).IsAssignableFrom(type);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{ErrorType}: {ErrorMessage}";
}
