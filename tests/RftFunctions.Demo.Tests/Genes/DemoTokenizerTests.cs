using RftFunctions.Demo.Genes;
using RftFunctions.Model;
using Xunit;

namespace RftFunctions.Demo.Tests.Genes;

public sealed class DemoTokenizerTests
{
    [Fact]
    public void Every_gene_symbol_and_phenotype_is_one_token_with_or_without_a_leading_space()
    {
        var ontology = GeneOntology.Create(3);
        var tokenizer = DemoTokenizer.Create(ontology);
        foreach (var word in ontology.Genes.Select(g => g.Symbol).Concat(ontology.Phenotypes))
        {
            Assert.Single(tokenizer.Encode(word));
            Assert.Single(tokenizer.Encode(" " + word));
            Assert.NotEqual(tokenizer.Encode(word)[0], tokenizer.Encode(" " + word)[0]);
        }
        Assert.Equal(DemoTokenizer.VocabSize(ontology), tokenizer.VocabularySize);
    }

    [Fact]
    public void A_rendered_case_and_answer_round_trip_and_other_text_still_encodes_byte_by_byte()
    {
        var ontology = GeneOntology.Create(3);
        var tokenizer = DemoTokenizer.Create(ontology);
        var gene = new GeneCaseGenerator(ontology).Generate(ontology.Genes, 1, 5)[0];
        var text = DemoBaseModelBuilder.RenderPrompt(gene) + GeneCase.FormatAnswer(gene.Ranking, gene.Answer, gene.Present) + "<|im_end|>";
        var ids = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Contains(ByteTokenizer.ImEnd, ids);
        Assert.Contains(ByteTokenizer.ImStart, ids);
        // Far fewer tokens than bytes: every name is one token.
        Assert.True(ids.Count < text.Length / 2, $"{ids.Count} tokens for {text.Length} characters");
        Assert.Equal("QXZ9 héllo", tokenizer.Decode(tokenizer.Encode("QXZ9 héllo")));
        Assert.Equal(new ByteTokenizer().Encode("QXZ9"), tokenizer.Encode("QXZ9"));
    }
}
