namespace RftFunctions.Graders.Endpoint;

/// <summary>
/// The egress policy refused a destination (thrown from the HTTP handler's connect step, so the check sees the address
/// actually connected to). Endpoint graders report it as <c>other_error</c> without retrying.
/// </summary>
public sealed class EgressRefusedException(string message) : Exception(message);
