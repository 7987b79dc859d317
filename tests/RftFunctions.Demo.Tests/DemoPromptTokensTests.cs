using System.Text;
using RftFunctions.Demo.Genes;
using RftFunctions.Model;
using RftFunctions.Model.Tokenization;
using RftFunctions.Model.Tokenization.Chat;
using RftFunctions.Training.Datasets;
using Xunit;
using ChatMessage = RftFunctions.Model.Tokenization.Chat.ChatMessage;

namespace RftFunctions.Demo.Tests;

/// <summary>
/// The demo's base model is trained on prompts rendered by <see cref="DemoBaseModelBuilder.RenderPrompt(GeneCase)"/> and encoded
/// by <see cref="ByteTokenizer"/>; the job's rollouts (and the chat endpoint) render the JSONL messages with the chat
/// template of the model folder's tokenizer files. RFT only improves what the model was warmed up on if both give
/// the same token ids.
/// </summary>
public sealed class DemoPromptTokensTests
{
    [Theory]
    [InlineData("default")]
    [InlineData("reduced")]
    public void The_job_renders_every_demo_prompt_to_the_token_ids_the_base_model_was_trained_on(string recipeName)
    {
        var folder = Directory.CreateTempSubdirectory("rft-demo-tokens-");
        try
        {
            var recipe = recipeName == "default" ? DemoRecipe.Default : DemoRecipe.Reduced;
            var ontology = GeneOntology.Create(7, recipe.Ontology);
            // The tokenizer files the demo's base-model cache writes next to the weights (bytes, or the word vocabulary).
            DemoBaseModelBuilder.WriteTokenizerFiles(folder.FullName, ontology, recipe.BaseModel);
            // As JobWorkspace loads them for a job, and RolloutActivity renders and encodes an example's messages.
            var tokenizer = HuggingFaceTokenizer.Load(folder.FullName);
            var format = tokenizer.ChatFormat(ChatFormatFallback.RftTiny);
            var trainedWith = DemoBaseModelBuilder.Tokenizer(ontology, recipe.BaseModel);

            var generator = new GeneCaseGenerator(ontology, recipe.Cases);
            var cases = generator.Generate(ontology.Genes, 60, seed: 8);
            var jsonl = string.Concat(cases.Select(c => DemoDataset.ToJsonLine(c) + "\n"));
            var examples = RftDatasetReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(jsonl)), DatasetLimits.Training);
            Assert.Empty(examples.Errors);
            Assert.Equal(cases.Count, examples.Examples.Count);
            for (int i = 0; i < cases.Count; i++)
            {
                var messages = examples.Examples[i].Messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList();
                var job = tokenizer.Encode(format.Render(messages));
                var trained = trainedWith.Encode(DemoBaseModelBuilder.RenderPrompt(cases[i]));
                Assert.Equal(trained, job);
            }
            // The warm-up answers end with <|im_end|>: the job's sampling must stop there as the base model learned.
            Assert.Contains(ByteTokenizer.ImEnd, tokenizer.EosTokenIds);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
