using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

public sealed class AuthTests(StorageFixture storage)
{
    [Fact]
    public async Task Missing_malformed_and_unknown_keys_get_401_in_OpenAIs_shape()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var none = server.Client(key: null);
        await ApiAssert.ErrorAsync(await none.Get("v1/files"), 401);
        using var basic = server.Client(key: null);
        basic.DefaultRequestHeaders.Add("Authorization", "Basic abc");
        var malformed = await ApiAssert.ErrorAsync(await basic.Get("v1/models"), 401);
        Assert.Equal("invalid_api_key", malformed.GetProperty("code").GetString());
        using var wrong = server.Client("sk-rft-not-a-key");
        var unknown = await ApiAssert.ErrorAsync(await wrong.Post("v1/chat/completions", new StringContent("{}")), 401);
        Assert.Equal("invalid_api_key", unknown.GetProperty("code").GetString());
        using var dev = server.Client();
        await ApiAssert.OkAsync(await dev.Get("v1/files"));
    }

    [Fact]
    public async Task Created_keys_work_are_stored_only_hashed_and_stop_working_when_revoked()
    {
        await using var server = await ApiServer.StartAsync(storage);
        var store = server.Services.GetRequiredService<ApiKeyStore>();
        var (info, secret) = await store.CreateAsync("alpha", TestContext.Current.CancellationToken);
        using var client = server.Client(secret);
        await ApiAssert.OkAsync(await client.Get("v1/models"));

        var table = storage.Account.CreateTableServiceClient().GetTableClient(server.Services.GetRequiredService<ApiOptions>().ApiKeysTable);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(cancellationToken: TestContext.Current.CancellationToken)) rows.Add(row);
        var stored = Assert.Single(rows);
        Assert.Equal(ApiKeyStore.Hash(secret), stored.RowKey);
        Assert.All(stored.Keys.Select(k => stored[k]), v => Assert.DoesNotContain(secret, v?.ToString() ?? "", StringComparison.Ordinal));
        Assert.Equal([info.Id], (await store.ListAsync("alpha", TestContext.Current.CancellationToken)).Select(k => k.Id));

        Assert.True(await store.RevokeAsync(info.Id, TestContext.Current.CancellationToken));
        await ApiAssert.ErrorAsync(await client.Get("v1/models"), 401);
        Assert.False(await store.RevokeAsync(info.Id, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Project_names_are_checked()
    {
        Assert.Throws<ArgumentException>(() => ApiKeyStore.ValidateProject("bad project!"));
        Assert.Throws<ArgumentException>(() => ApiKeyStore.ValidateProject(""));
        Assert.Equal("team-a_1", ApiKeyStore.ValidateProject("team-a_1"));
    }
}
