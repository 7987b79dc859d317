namespace RftFunctions.Functions.Api;

/// <summary>OpenAI's cursor paging: <c>after</c> an id, at most <c>limit</c> items, <c>has_more</c>.</summary>
public static class Paging
{
    /// <summary>Reads and checks <c>limit</c>.</summary>
    public static int Limit(IQueryCollection query, int defaultLimit, int max)
    {
        var text = query["limit"].ToString();
        if (text.Length == 0) return defaultLimit;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) || limit < 1 || limit > max)
            throw ApiException.BadRequest($"limit must be an integer between 1 and {max}, got '{text}'.", "limit", "invalid_value");
        return limit;
    }

    /// <summary>The page after <paramref name="after"/> (exclusive); an unknown cursor is a 400.</summary>
    public static ApiJson.ListPage<T> Page<T>(IReadOnlyList<T> items, Func<T, string> id, string after, int limit)
    {
        int start = 0;
        if (after.Length > 0)
        {
            var index = items.Select(id).ToList().IndexOf(after);
            if (index < 0) throw ApiException.BadRequest($"after: no item with id '{after}'.", "after", "invalid_value");
            start = index + 1;
        }
        var page = items.Skip(start).Take(limit).ToList();
        return new ApiJson.ListPage<T>(page, start + page.Count < items.Count)
        {
            FirstId = page.Count > 0 ? id(page[0]) : null,
            LastId = page.Count > 0 ? id(page[^1]) : null,
        };
    }
}
