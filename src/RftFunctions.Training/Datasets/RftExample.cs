using System.Text.Json.Nodes;

namespace RftFunctions.Training.Datasets;

/// <summary>One chat message of a prompt. Content is plain text (OpenAI text content parts are joined).</summary>
/// <param name="Role">developer, user, assistant or tool (system is read as developer).</param>
/// <param name="Content">The message text.</param>
/// <param name="ToolCallId">For tool messages, the call they answer.</param>
public sealed record ChatMessage(string Role, string Content, string? ToolCallId = null);

/// <summary>
/// One line of an RFT dataset: the prompt messages (the last is from the user) and the whole JSON object, whose other
/// fields (the reference answer among them) only graders see, as <c>{{ item.* }}</c>.
/// </summary>
/// <param name="LineNumber">1-based line in the file, for messages that point users at their data.</param>
/// <param name="Messages">The prompt.</param>
/// <param name="Item">The whole line as JSON.</param>
public sealed record RftExample(int LineNumber, IReadOnlyList<ChatMessage> Messages, JsonObject Item);
