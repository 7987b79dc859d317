using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Demo.Genes;

/// <summary>
/// The demo's files as a user would prepare them for an OpenAI-style RFT job: training and validation JSONL (a user
/// message plus the item fields the grader reads) and the grader config.
/// </summary>
public static class DemoDataset
{
    /// <summary>
    /// The grader, written as a user would: a multi grader whose output is the ranked_list grader's reciprocal-rank
    /// reward (partial credit by rank), next to a format check that is reported but not rewarded.
    /// </summary>
    public const string GraderJson = """
        {
          "type": "multi",
          "name": "gene_ranking",
          "calculate_output": "rank",
          "graders": {
            "rank": {
              "type": "ranked_list",
              "name": "rank",
              "input": "{{ sample.output_text }}",
              "reference": "{{ item.reference_answer }}",
              "decay": "reciprocal",
              "max_rank": 10
            },
            "explained": {
              "type": "string_check",
              "name": "explained",
              "input": "{{ sample.output_text }}",
              "reference": " | ",
              "operation": "like"
            }
          }
        }
        """;

    /// <summary>One JSONL line for a case: the user message and the item fields (reference answer and ranking,
    /// present and absent phenotypes).</summary>
    public static string ToJsonLine(GeneCase gene)
    {
        var line = new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = gene.Prompt }),
            ["reference_answer"] = gene.Answer.Symbol,
            ["reference_ranking"] = new JsonArray([.. gene.Ranking.Select(g => (JsonNode)g)]),
            ["present"] = new JsonArray([.. gene.Present.Select(p => (JsonNode)p)]),
            ["absent"] = new JsonArray([.. gene.Absent.Select(p => (JsonNode)p)]),
        };
        return line.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>Writes the cases as JSONL (one line each, LF endings).</summary>
    public static void WriteJsonl(string path, IEnumerable<GeneCase> cases) =>
        File.WriteAllText(path, string.Concat(cases.Select(c => ToJsonLine(c) + "\n")));
}
