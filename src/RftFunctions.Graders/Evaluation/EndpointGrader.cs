using RftFunctions.Graders.Config;
using RftFunctions.Graders.Endpoint;

namespace RftFunctions.Graders.Evaluation;

/// <summary>endpoint: the remote score; exhausted retries are unresponsive_reward_error, 4xx or a bad answer other_error.</summary>
internal sealed class EndpointGrader(EndpointGraderConfig config) : CompiledGrader(config)
{
    protected override double? PassThreshold => config.PassThreshold;

    protected override async Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct)
    {
        if (services.Endpoints is not { } client)
        {
            result.Errors.OtherError = true;
            result.Errors.AddDetail("endpoint graders need an EndpointGraderClient and none is configured");
            return;
        }
        var outcome = await client.GradeAsync(config, context.Sample.ToJson(), context.Item, context.TraceId, ct).ConfigureAwait(false);
        result.Metadata.Attempts = outcome.Attempts;
        switch (outcome.Status)
        {
            case EndpointGradeStatus.Ok:
                result.Reward = outcome.Score;
                break;
            case EndpointGradeStatus.Unresponsive:
                result.Errors.UnresponsiveRewardError = true;
                result.Errors.AddDetail(outcome.Details ?? "endpoint did not answer");
                break;
            default:
                result.Errors.OtherError = true;
                result.Errors.AddDetail(outcome.Details ?? "endpoint failed");
                break;
        }
    }
}
