using System.Text;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// A deterministic, varied text corpus for tokenizer parity: hand-picked samples plus strings generated from a seed
/// across scripts (Latin, CJK, Arabic, Hebrew, Cyrillic, Greek, Devanagari, Thai, Hangul...), code, long whitespace
/// runs, digits, emoji (ZWJ sequences, skin tones, flags, keycaps), decomposed text that NFC changes, characters outside
/// the Basic Multilingual Plane, and special tokens inline.
/// </summary>
internal static class ParityCorpus
{
    private static readonly string[] Fixed =
    [
        "", " ", "  ", "\n", "\n\n\n", "\r\n", "\t", "a", "Hello world", "Hello, world!", " leading space", "trailing space ",
        "The quick brown fox jumps over the lazy dog.",
        "I'm sure you'll see they've done it, isn't it? We'd go. She's here.",
        "I'M SURE YOU'LL SEE THEY'VE DONE IT, ISN'T IT? WE'D GO. SHE'S HERE.",
        "It’s a curly apostrophe’s test", "rock'n'roll 'quoted' ''double'' '''triple'''",
        "你好，世界！今天天气很好。我们去公园散步吧。", "日本語のテキストです。カタカナとひらがなと漢字。", "한국어 문장입니다. 안녕하세요!",
        "مرحبا بالعالم، كيف حالك اليوم؟", "שלום עולם, מה שלומך?", "Привет, мир! Как дела? Ёжик в тумане.",
        "Γειά σου Κόσμε! Καλημέρα.", "नमस्ते दुनिया, आप कैसे हैं? हिन्दी पाठ।", "สวัสดีชาวโลก วันนี้อากาศดีมาก",
        "Xin chào thế giới! Tiếng Việt có dấu.", "İstanbul'da ılık bir gün; Iğdır ve ŞİŞLİ.", "Straße, Grüße, Fußgänger, ẞ",
        "Ελληνικά και English mixed 混合 text with عربي inside", "ქართული ენა", "Հայերեն լեզու", "ትግርኛ ኣማርኛ", "தமிழ் மொழி", "বাংলা ভাষা",
        "0", "7", "42", "1234567890", "3.14159265358979", "1,000,000.00", "-12e+34", "٠١٢٣٤٥٦٧٨٩", "０１２３４５", "१२३४",
        "👋", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷🇯🇵🇺🇸", "1️⃣#️⃣", "❤️‍🔥", "🧑🏿‍💻 coding", "emoji🙂inside😀words",
        "𝐀𝐁𝐂 𝒜𝒷𝒸 𝔸𝕓 𝟘𝟙𝟚", "𠀀𠀁𪚥 extension B", "𐍈 gothic", "🀄🃏",
        "e\u0301 cafe\u0301 n\u0303 A\u030A", "\u1100\u1161\u11A8 decomposed hangul", "ﬁ ligature ﬀ", "Å vs Å", "\u212B angstrom sign",
        "def f(x):\n    return x ** 2\n", "    indented\n        more\n\ttab", "if (a && b) { return c; } else { throw new Error(\"x\"); }",
        "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "<div class=\"x\">Hello &amp; bye</div>", "SELECT * FROM t WHERE id = 42;",
        "https://example.com/path?query=1&b=two#frag", "user@example.org", "C:\\Windows\\System32", "$ ls -la | grep '^d'",
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
        "<think>\nreasoning\n</think>\n\nanswer", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>", "<|endoftext|><|endoftext|>",
        "<|im_start", "<|im_start|", "im_start|>", "<<|im_end|>>", "<|IM_START|>", "x<|im_end|>y", " <|im_end|> ",
        "\u00a0non-breaking\u00a0space", "ideographic\u3000space", "zero\u200bwidth", "soft\u00adhyphen", "\u2028line sep\u2029",
        "\u0085next line", "\v\f vertical and form feed", "word\r\rword", "trailing newlines\n\n", "   \n   \n   ",
    ];

    // Words and phrases per script, combined at random.
    private static readonly string[][] Fragments =
    [
        ["hello", "world", "tokenizer", "Reinforcement", "fine-tuning", "GPU", "don't", "it's", "they'll", "THE", "a", "Mr.", "e.g."],
        ["我们", "模型", "训练", "强化学习", "数据集", "你好", "中文", "测试", "，", "。", "！"],
        ["これは", "テスト", "です", "日本", "東京", "ひらがな", "カタカナ", "。"],
        ["안녕하세요", "모델", "학습", "데이터", "한국어"],
        ["العربية", "نموذج", "تدريب", "مرحبا", "السلام", "عليكم", "؟", "،"],
        ["עברית", "מודל", "שלום"],
        ["Привет", "модель", "обучение", "данные", "ЁЛКА", "съешь"],
        ["Ελλάδα", "μοντέλο", "λόγος"],
        ["हिन्दी", "मॉडल", "प्रशिक्षण", "नमस्ते", "।"],
        ["ภาษาไทย", "โมเดล", "การฝึก", "สวัสดี"],
        ["Tiếng", "Việt", "học", "máy", "İĞÜŞÖÇ", "ığüşöç"],
        ["😀", "🚀", "👍🏻", "👩‍💻", "🇩🇪", "✨", "🔥", "❤️", "🧑‍🤝‍🧑"],
        ["x", "y_1", "__init__", "=>", "!=", "==", "{", "}", "();", "//", "/*", "*/", "#include", "0x1F", "i++", "std::vector<int>"],
        ["𝐀", "𝑥", "𝟙", "𠀋", "𝄞", "𐐷"],
    ];

    private static readonly string[] Separators = [" ", "", "\n", ", ", "  ", "\t", " - ", "\n\n", ". ", "\r\n"];
    private static readonly string[] Whitespace = [" ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2003", "\u000b", "\u000c"];
    private static readonly string[] SpecialTokens =
        ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<tool_call>", "</tool_call>", "<|vision_pad|>", "<|fim_prefix|>"];

    // Code point ranges to draw random characters from (some outside the Basic Multilingual Plane).
    private static readonly (int First, int Last)[] Ranges =
    [
        (0x20, 0x7E), (0x20, 0x7E), (0xA0, 0x17F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F),
        (0xE00, 0xE7F), (0x1100, 0x11FF), (0x2000, 0x206F), (0x2100, 0x214F), (0x2190, 0x23FF), (0x3000, 0x30FF), (0x4E00, 0x9FFF),
        (0xAC00, 0xD7A3), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x1F300, 0x1FAFF), (0x20000, 0x2A6DF), (0x0300, 0x036F),
    ];

    /// <summary>The corpus: the fixed samples, then <paramref name="perCategory"/> strings of each generated kind.</summary>
    public static List<string> Build(int seed, int perCategory)
    {
        var random = new Random(seed);
        var corpus = new List<string>(Fixed);
        Func<Random, string>[] generators = [Mixed, RandomCodePoints, WhitespaceRuns, Digits, Emoji, Code, WithSpecialTokens];
        foreach (var generate in generators)
        {
            for (int i = 0; i < perCategory; i++) corpus.Add(generate(random));
        }
        return corpus;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static string Mixed(Random random)
    {
        var text = new StringBuilder();
        int parts = random.Next(1, 8);
        for (int i = 0; i < parts; i++)
        {
            if (i > 0) text.Append(Pick(random, Separators));
            var script = Pick(random, Fragments);
            int words = random.Next(1, 4);
            for (int w = 0; w < words; w++)
            {
                if (w > 0 && random.Next(3) > 0) text.Append(' ');
                text.Append(Pick(random, script));
            }
        }
        return text.ToString();
    }

    private static string RandomCodePoints(Random random)
    {
        var text = new StringBuilder();
        int length = random.Next(1, 40);
        var range = Pick(random, Ranges);
        for (int i = 0; i < length; i++)
        {
            if (random.Next(4) == 0) range = Pick(random, Ranges);
            int cp = random.Next(range.First, range.Last + 1);
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            text.Append(char.ConvertFromUtf32(cp));
        }
        return text.ToString();
    }

    private static string WhitespaceRuns(Random random)
    {
        var text = new StringBuilder();
        int parts = random.Next(1, 6);
        for (int i = 0; i < parts; i++)
        {
            int run = random.Next(4) == 0 ? random.Next(20, 200) : random.Next(1, 8);
            for (int r = 0; r < run; r++) text.Append(random.Next(3) == 0 ? Pick(random, Whitespace) : Whitespace[random.Next(3)]);
            if (random.Next(5) > 0) text.Append(Pick(random, Pick(random, Fragments)));
        }
        return text.ToString();
    }

    private static string Digits(Random random)
    {
        var text = new StringBuilder();
        int parts = random.Next(1, 5);
        for (int i = 0; i < parts; i++)
        {
            switch (random.Next(6))
            {
                case 0:
                    var number = random.NextInt64(0, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    text.Append(number.AsSpan(0, Math.Min(number.Length, random.Next(1, 19))));
                    break;
                case 1: text.Append(random.NextDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)); break;
                case 2: text.Append(string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => (char)('٠' + random.Next(10))))); break;
                case 3: text.Append(string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => (char)('０' + random.Next(10))))); break;
                case 4: text.Append($"{random.Next(1, 13)}/{random.Next(1, 29)}/{random.Next(1900, 2100)}"); break;
                default: text.Append($"v{random.Next(10)}.{random.Next(100)}.{random.Next(1000)}-rc{random.Next(5)}"); break;
            }
            text.Append(Pick(random, [" ", "", "x", "$", "%", ",", "\n", "abc"]));
        }
        return text.ToString();
    }

    private static string Emoji(Random random)
    {
        string[] bases = ["👩", "👨", "🧑", "👧", "👦", "🧒", "👋", "👍", "🤝", "🏃", "🏳", "❤", "⭐", "☕", "🐱", "🐶", "🦄", "🍕"];
        string[] tones = ["", "", "\U0001F3FB", "\U0001F3FC", "\U0001F3FD", "\U0001F3FE", "\U0001F3FF"];
        string[] joined = ["💻", "🔬", "🚀", "🎨", "❤️", "👩", "👧", "🔥", "🌈", "⚧️"];
        var text = new StringBuilder();
        int count = random.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            switch (random.Next(5))
            {
                case 0: text.Append(Pick(random, bases)).Append(Pick(random, tones)); break;
                case 1: text.Append(Pick(random, bases)).Append(Pick(random, tones)).Append('\u200D').Append(Pick(random, joined)); break;
                case 2: text.Append(char.ConvertFromUtf32(0x1F1E6 + random.Next(26))).Append(char.ConvertFromUtf32(0x1F1E6 + random.Next(26))); break;
                case 3: text.Append((char)('0' + random.Next(10))).Append("\uFE0F\u20E3"); break;
                default: text.Append(Pick(random, bases)).Append('\uFE0F'); break;
            }
            text.Append(Pick(random, ["", " ", "", "ok", "\n", "好"]));
        }
        return text.ToString();
    }

    private static string Code(Random random)
    {
        string[] templates =
        [
            "def {0}({1}):\n{2}return {1} + {3}\n",
            "public static int {0}(int {1}) {{\n{2}return {1} * {3};\n}}",
            "for (let {1} = 0; {1} < {3}; {1}++) {{\n{2}console.log(`{0}: ${{{1}}}`);\n}}",
            "{{\"{0}\": {3}, \"{1}\": [\"{0}\", null, true]}}",
            "#include <stdio.h>\nint main() {{\n{2}printf(\"%d\\n\", {3});\n}}",
            "SELECT {0}, COUNT(*) FROM {1} WHERE x > {3} GROUP BY {0};",
            "<{0} id=\"{1}\">\n{2}<span>{3}</span>\n</{0}>",
            "    {0} = {1}  # comment {3}\n\n\n{2}{1}.{0}()",
        ];
        string[] names = ["foo", "bar_baz", "camelCase", "snake_case_name", "X", "i", "__dunder__", "HTTPServer", "données", "变量"];
        string indent = Pick(random, ["    ", "\t", "  ", "        ", "\t\t", ""]);
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, Pick(random, templates),
            Pick(random, names), Pick(random, names), indent, random.Next(0, 100000));
    }

    private static string WithSpecialTokens(Random random)
    {
        var text = new StringBuilder();
        int parts = random.Next(2, 7);
        for (int i = 0; i < parts; i++)
        {
            switch (random.Next(4))
            {
                case 0: text.Append(Pick(random, SpecialTokens)); break;
                case 1: text.Append(Pick(random, ["<|im_start|>user\n", "<|im_start|>assistant\n", "<|im_end|>\n", "<|im_start", "|>", "<", "<|"])); break;
                default: text.Append(Mixed(random)); break;
            }
            if (random.Next(3) == 0) text.Append(Pick(random, Separators));
        }
        return text.ToString();
    }
}
