namespace RftFunctions.Model;

/// <summary>A safetensors file or index that cannot be read or does not fit the model; the message names the file and tensor.</summary>
public sealed class SafetensorsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SafetensorsException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public SafetensorsException(string message, Exception inner) : base(message, inner) { }
}
