using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Api.Auth;

/// <summary>An API key as listed: never the key itself, only its id and a hint of its last characters.</summary>
/// <param name="Id">The key id (<c>key_...</c>), used to revoke it.</param>
/// <param name="Project">The project the key acts for.</param>
/// <param name="Hint">The key's prefix and last four characters.</param>
/// <param name="CreatedAt">Unix seconds.</param>
public sealed record ApiKeyInfo(string Id, string Project, string Hint, long CreatedAt);

/// <summary>
/// API keys in Table storage. A key is stored only as its SHA-256 hash (the row key), so a leaked table holds no usable
/// key; each maps to one project. The development key from settings is accepted without being stored.
/// Operator (admin) keys live in the same table under their own partition and map to no project: they open the
/// operator surfaces (durable management, health details) and never <c>/v1</c>; see docs/security.md.
/// </summary>
public sealed partial class ApiKeyStore(StorageAccount storage, ApiOptions options)
{
    /// <summary>The project column of an admin key as listed (admin keys belong to no project).</summary>
    public const string AdminProject = "(admin)";

    private const string Partition = "apikey";
    private const string AdminPartition = "adminkey";
    private const string KeyPrefix = "sk-rft-";
    private const string AdminKeyPrefix = "sk-rft-admin-";
    private readonly TableClient _table = storage.CreateTableServiceClient().GetTableClient(options.ApiKeysTable);
    private int _created;

    /// <summary>Checks that a project name is usable as a partition: letters, digits, '-' and '_', at most 64.</summary>
    public static string ValidateProject(string? project)
    {
        if (string.IsNullOrEmpty(project) || !ProjectName().IsMatch(project))
            throw new ArgumentException($"invalid project name '{project}': use 1-64 letters, digits, '-' or '_'");
        return project;
    }

    /// <summary>Creates a key for <paramref name="project"/>; the returned secret is shown once and never stored.</summary>
    public async Task<(ApiKeyInfo Info, string Secret)> CreateAsync(string project, CancellationToken cancellationToken = default)
    {
        ValidateProject(project);
        await EnsureTableAsync(cancellationToken);
        var secret = KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var info = new ApiKeyInfo("key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), project,
            $"{KeyPrefix}...{secret[^4..]}", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await _table.AddEntityAsync(new TableEntity(Partition, Hash(secret))
        {
            ["KeyId"] = info.Id,
            ["Project"] = info.Project,
            ["Hint"] = info.Hint,
            ["CreatedAtUnix"] = info.CreatedAt,
        }, cancellationToken);
        return (info, secret);
    }

    /// <summary>Creates an operator key; the returned secret is shown once and never stored.</summary>
    public async Task<(ApiKeyInfo Info, string Secret)> CreateAdminAsync(CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken);
        var secret = AdminKeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var info = new ApiKeyInfo("adm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), AdminProject,
            $"{AdminKeyPrefix}...{secret[^4..]}", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        await _table.AddEntityAsync(new TableEntity(AdminPartition, Hash(secret))
        {
            ["KeyId"] = info.Id,
            ["Hint"] = info.Hint,
            ["CreatedAtUnix"] = info.CreatedAt,
        }, cancellationToken);
        return (info, secret);
    }

    /// <summary>
    /// True when <paramref name="presented"/> is a live operator key. A point read of its hash: no admin key stored
    /// means nothing ever matches, so the operator surfaces stay shut until an operator creates one.
    /// </summary>
    public async Task<bool> IsAdminAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(presented)) return false;
        await EnsureTableAsync(cancellationToken);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(AdminPartition, Hash(presented), cancellationToken: cancellationToken);
        return row.HasValue;
    }

    /// <summary>The project a presented key acts for, or null when the key is unknown or revoked.</summary>
    public async Task<string?> ResolveAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (options.DevelopmentApiKey.Length > 0 &&
            CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(options.DevelopmentApiKey)))
            return options.DevelopmentProject;
        await EnsureTableAsync(cancellationToken);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, Hash(presented), cancellationToken: cancellationToken);
        return row.HasValue ? row.Value!.GetString("Project") : null;
    }

    /// <summary>Every stored project key (optionally of one project), oldest first; with <paramref name="admin"/>, the operator keys instead.</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(string? project = null, CancellationToken cancellationToken = default, bool admin = false)
    {
        await EnsureTableAsync(cancellationToken);
        var keys = new List<ApiKeyInfo>();
        var partition = admin ? AdminPartition : Partition;
        await foreach (var e in _table.QueryAsync<TableEntity>(x => x.PartitionKey == partition, cancellationToken: cancellationToken))
        {
            var info = admin ? ToInfo(e) with { Project = AdminProject } : ToInfo(e);
            if (admin || project is null || info.Project == project) keys.Add(info);
        }
        return keys.OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Revokes (deletes) a project or operator key by its id; false when there is none.</summary>
    public async Task<bool> RevokeAsync(string keyId, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken);
        await foreach (var e in _table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition || x.PartitionKey == AdminPartition, cancellationToken: cancellationToken))
        {
            if (e.GetString("KeyId") != keyId) continue;
            await _table.DeleteEntityAsync(e.PartitionKey, e.RowKey, ETag.All, cancellationToken);
            return true;
        }
        return false;
    }

    /// <summary>The stored form of a key: lowercase hex SHA-256 of its UTF-8 bytes.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static ApiKeyInfo ToInfo(TableEntity e) =>
        new(e.GetString("KeyId") ?? "", e.GetString("Project") ?? "", e.GetString("Hint") ?? "", e.GetInt64("CreatedAtUnix") ?? 0);

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _created) == 1) return;
        await _table.CreateIfNotExistsAsync(cancellationToken);
        Volatile.Write(ref _created, 1);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ProjectName();
}
