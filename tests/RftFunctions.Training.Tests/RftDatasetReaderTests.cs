using System.Text;
using RftFunctions.Training.Datasets;
using Xunit;

namespace RftFunctions.Training.Tests;

public sealed class RftDatasetReaderTests
{
    private static DatasetReadResult Read(string text, DatasetLimits? limits = null) =>
        RftDatasetReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), limits);

    private static DatasetReadResult Read(byte[] bytes) => RftDatasetReader.Read(new MemoryStream(bytes));

    private const string Good = """{"messages":[{"role":"developer","content":"Rank genes."},{"role":"user","content":"Case 1"}],"reference_answer":{"gene":"BRCA1"}}""";

    [Fact]
    public void A_valid_line_keeps_the_prompt_and_every_grading_field()
    {
        var result = Read(Good + "\n\n" + Good.Replace("Case 1", "Case 2", StringComparison.Ordinal) + "\n");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(2, result.Examples.Count);
        Assert.Equal([1, 3], result.Examples.Select(e => e.LineNumber));
        Assert.Equal("user", result.Examples[0].Messages[^1].Role);
        Assert.Equal("BRCA1", result.Examples[0].Item["reference_answer"]!["gene"]!.GetValue<string>());
    }

    [Fact]
    public void System_is_read_as_developer_and_text_parts_are_joined()
    {
        var result = Read("""{"messages":[{"role":"system","content":"a"},{"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":"c"}]}]}""");

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(["developer", "user"], result.Examples[0].Messages.Select(m => m.Role));
        Assert.Equal("bc", result.Examples[0].Messages[1].Content);
    }

    [Theory]
    [InlineData("{\"messages\": [", "invalid_json", null)]
    [InlineData("[1, 2]", "not_an_object", null)]
    [InlineData("{\"item\": 1}", "missing_messages", "messages")]
    [InlineData("{\"messages\": {}}", "invalid_messages", "messages")]
    [InlineData("{\"messages\": []}", "empty_messages", "messages")]
    [InlineData("{\"messages\": [\"hi\"]}", "invalid_message", "messages[0]")]
    [InlineData("{\"messages\": [{\"content\": \"x\"}]}", "missing_role", "messages[0].role")]
    [InlineData("{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", "unknown_role", "messages[0].role")]
    [InlineData("{\"messages\": [{\"role\": \"user\"}]}", "missing_content", "messages[0].content")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": 42}]}", "invalid_content", "messages[0].content")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", "invalid_content", "messages[0].content[0]")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}", "last_message_not_user", "messages[1].role")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}], \"tools\": 3}", "invalid_tools", "tools")]
    public void Each_bad_line_is_reported_with_its_line_field_and_code(string badLine, string code, string? field)
    {
        var result = Read(Good + "\n" + badLine + "\n" + Good);

        var error = Assert.Single(result.Errors);
        Assert.Equal(2, error.Line);
        Assert.Equal(code, error.Code);
        Assert.Equal(field, error.Field);
        Assert.Equal([1, 3], result.Examples.Select(e => e.LineNumber));
    }

    [Fact]
    public void Invalid_utf8_names_the_line()
    {
        var bytes = Encoding.UTF8.GetBytes(Good + "\n").Concat(new byte[] { (byte)'{', 0xC3, 0x28, (byte)'}', (byte)'\n' }).ToArray();

        var error = Assert.Single(Read(bytes).Errors);

        Assert.Equal(("invalid_utf8", 2), (error.Code, error.Line));
    }

    [Fact]
    public void A_byte_order_mark_is_an_error_but_the_lines_are_still_checked()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Good)).ToArray();

        var result = Read(bytes);

        Assert.Equal("byte_order_mark", Assert.Single(result.Errors).Code);
        Assert.Single(result.Examples);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Oversized_lines_and_too_many_lines_are_reported()
    {
        var limits = new DatasetLimits { MaxLines = 2, MaxLineBytes = Good.Length };
        var oversized = Good.Replace("Case 1", "Case 1 with a much longer text", StringComparison.Ordinal);

        var result = Read(Good + "\n" + oversized + "\n" + Good + "\n" + Good, limits);

        Assert.Equal(["line_too_large", "too_many_lines"], result.Errors.Select(e => e.Code));
        Assert.Equal(2, result.Errors[0].Line);
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        Assert.Equal("empty_file", Assert.Single(Read("\n\n").Errors).Code);
    }

    [Fact]
    public void Crlf_line_endings_are_accepted()
    {
        Assert.True(Read(Good + "\r\n" + Good + "\r\n").IsValid);
    }
}
