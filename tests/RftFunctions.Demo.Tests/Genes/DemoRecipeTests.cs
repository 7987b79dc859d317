using RftFunctions.Demo.Genes;
using Xunit;

namespace RftFunctions.Demo.Tests.Genes;

public sealed class DemoRecipeTests
{
    public static TheoryData<string> Recipes => ["default", "reduced"];

    private static DemoRecipe Named(string name) => name == "default" ? DemoRecipe.Default : DemoRecipe.Reduced;

    [Theory]
    [MemberData(nameof(Recipes))]
    public void A_recipe_is_a_valid_job_whose_steps_follow_from_its_cases_as_the_job_computes_them(string name)
    {
        var recipe = Named(name);
        Assert.Empty(recipe.Training.Validate());
        Assert.Equal(recipe.Schedule(1).TotalSteps, recipe.Steps);
        Assert.Equal(recipe.TrainCases * recipe.Training.Epochs, Enumerable.Range(0, recipe.Steps).Sum(s => recipe.Schedule(1).ForStep(s).ExampleIndices.Count));
        Assert.Equal(5, recipe.TrainingFor(5).Seed);
    }

    [Theory]
    [MemberData(nameof(Recipes))]
    public void A_recipe_draws_disjoint_training_and_validation_cases_that_the_base_model_can_read(string name)
    {
        var recipe = Named(name);
        var ontology = GeneOntology.Create(2, recipe.Ontology);
        var generator = new GeneCaseGenerator(ontology, recipe.Cases);
        var train = generator.Generate([.. ontology.Genes.Where(g => !ontology.IsValidation(g))], recipe.TrainCases, 3);
        var valid = generator.Generate([.. ontology.Genes.Where(ontology.IsValidation)], recipe.ValidCases, 4);
        Assert.Empty(train.SelectMany(c => c.Ranking).Intersect(valid.SelectMany(c => c.Ranking)));
        var tokenizer = DemoBaseModelBuilder.Tokenizer(ontology, recipe.BaseModel);
        int longest = train.Concat(valid).Max(c => tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(c)).Count);
        Assert.True(longest + recipe.Training.MaxCompletionTokens <= recipe.BaseModel.Size.MaxPositionEmbeddings,
            $"prompt {longest} + completion {recipe.Training.MaxCompletionTokens} tokens exceed the model's {recipe.BaseModel.Size.MaxPositionEmbeddings} positions");
    }

    [Fact]
    public void The_reduced_recipe_builds_a_cheaper_base_model_and_validates_on_fewer_cases()
    {
        // Its RFT steps may be more (they are cheap: eight short prompts), so that training reward visibly rises.
        var (d, r) = (DemoRecipe.Default, DemoRecipe.Reduced);
        Assert.True(r.BaseModel.BatchSize * (r.BaseModel.PretrainSteps + r.BaseModel.WarmupSteps) < d.BaseModel.BatchSize * (d.BaseModel.PretrainSteps + d.BaseModel.WarmupSteps));
        Assert.True(r.ValidCases < d.ValidCases);
        Assert.True(r.TrainCases < d.TrainCases);
    }
}
