namespace RftFunctions.Demo.Compliance;

/// <summary>
/// The compliance job's grader and response format, written as a user would for OpenAI's RFT: answers are JSON objects
/// of a fixed schema, and a multi grader scores the verdict (string_check on <c>sample.output_json.compliant</c>) and
/// the explanation (a python grader: does it cite the clause that covers the request?).
/// </summary>
public static class ComplianceDataset
{
    /// <summary>The python grader of the explanation: 1 when it names the right clause among its words, else 0.</summary>
    public const string ClauseGraderSource = """
        def grade(sample, item):
            answer = sample.get("output_json") or {}
            explanation = answer.get("explanation") if isinstance(answer, dict) else None
            if not isinstance(explanation, str):
                return 0.0
            words = explanation.replace(",", " ").replace(":", " ").replace(".", " ").split()
            return 1.0 if item["clause"] in words else 0.0
        """;

    /// <summary>The grader: the mean of the verdict check and the explanation check.</summary>
    public static string GraderJson => $$$"""
        {
          "type": "multi",
          "name": "compliance",
          "calculate_output": "0.5 * verdict + 0.5 * clause",
          "graders": {
            "verdict": {
              "type": "string_check",
              "name": "verdict",
              "input": "{{ sample.output_json.compliant }}",
              "reference": "{{ item.verdict }}",
              "operation": "eq"
            },
            "clause": {
              "type": "python",
              "name": "clause",
              "source": {{{System.Text.Json.JsonSerializer.Serialize(ClauseGraderSource)}}}
            }
          }
        }
        """;

    /// <summary>The response format: a JSON object with the verdict (one of three) and an explanation.</summary>
    public const string ResponseFormatJson = """
        {
          "type": "json_schema",
          "json_schema": {
            "name": "compliance_verdict",
            "strict": true,
            "schema": {
              "type": "object",
              "properties": {
                "compliant": { "type": "string", "enum": ["yes", "no", "needs review"] },
                "explanation": { "type": "string" }
              },
              "required": ["compliant", "explanation"],
              "additionalProperties": false
            }
          }
        }
        """;
}
