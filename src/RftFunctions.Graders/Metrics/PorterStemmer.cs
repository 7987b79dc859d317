namespace RftFunctions.Graders.Metrics;

/// <summary>
/// The Porter (1980) suffix-stripping stemmer, as published ("An algorithm for suffix stripping", Program 14(3)):
/// steps 1a-5b with the measure m, *v*, *d and *o conditions. Input is expected in lower case; words of one or two
/// letters are returned unchanged. NLTK's default mode adds a few departures (irregular forms such as dying -> die);
/// those are not reproduced.
/// </summary>
internal static class PorterStemmer
{
    private static readonly (string Suffix, string Replacement)[] Step2Rules =
    [
        ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("abli", "able"),
        ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"),
        ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"),
        ("iviti", "ive"), ("biliti", "ble"),
    ];

    private static readonly (string Suffix, string Replacement)[] Step3Rules =
    [
        ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
    ];

    // Longest first where one suffix ends another (ement / ment / ent).
    private static readonly string[] Step4Suffixes =
    [
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism", "ate", "iti",
        "ous", "ive", "ize",
    ];

    /// <summary>The stem of a lower-case word.</summary>
    public static string Stem(string word)
    {
        if (word.Length <= 2) return word;
        var w = Step1A(word);
        w = Step1B(w);
        w = Step1C(w);
        w = ApplyFirst(w, Step2Rules, minMeasure: 1);
        w = ApplyFirst(w, Step3Rules, minMeasure: 1);
        w = Step4(w);
        w = Step5A(w);
        return Step5B(w);
    }

    private static bool IsConsonant(string w, int i) => w[i] switch
    {
        'a' or 'e' or 'i' or 'o' or 'u' => false,
        'y' => i == 0 || !IsConsonant(w, i - 1),
        _ => true,
    };

    /// <summary>m in [C](VC)^m[V] of w[..length].</summary>
    private static int Measure(string w, int length)
    {
        var m = 0;
        var i = 0;
        while (i < length && IsConsonant(w, i)) i++;
        while (i < length)
        {
            while (i < length && !IsConsonant(w, i)) i++;
            if (i >= length) break;
            while (i < length && IsConsonant(w, i)) i++;
            m++;
        }
        return m;
    }

    private static bool HasVowel(string w, int length)
    {
        for (var i = 0; i < length; i++)
            if (!IsConsonant(w, i)) return true;
        return false;
    }

    private static bool EndsDoubleConsonant(string w, int length) =>
        length >= 2 && w[length - 1] == w[length - 2] && IsConsonant(w, length - 1);

    /// <summary>*o: the stem ends consonant-vowel-consonant and the last consonant is not w, x or y.</summary>
    private static bool EndsCvc(string w, int length) =>
        length >= 3 && IsConsonant(w, length - 1) && !IsConsonant(w, length - 2) && IsConsonant(w, length - 3) &&
        w[length - 1] is not ('w' or 'x' or 'y');

    private static string Step1A(string w)
    {
        if (w.EndsWith("sses", StringComparison.Ordinal)) return w[..^2];
        if (w.EndsWith("ies", StringComparison.Ordinal)) return w[..^2];
        if (w.EndsWith("ss", StringComparison.Ordinal)) return w;
        return w.EndsWith('s') ? w[..^1] : w;
    }

    private static string Step1B(string w)
    {
        if (w.EndsWith("eed", StringComparison.Ordinal))
            return Measure(w, w.Length - 3) > 0 ? w[..^1] : w;
        string stem;
        if (w.EndsWith("ed", StringComparison.Ordinal) && HasVowel(w, w.Length - 2)) stem = w[..^2];
        else if (w.EndsWith("ing", StringComparison.Ordinal) && HasVowel(w, w.Length - 3)) stem = w[..^3];
        else return w;

        if (stem.EndsWith("at", StringComparison.Ordinal) || stem.EndsWith("bl", StringComparison.Ordinal) ||
            stem.EndsWith("iz", StringComparison.Ordinal)) return stem + "e";
        if (EndsDoubleConsonant(stem, stem.Length) && stem[^1] is not ('l' or 's' or 'z')) return stem[..^1];
        if (Measure(stem, stem.Length) == 1 && EndsCvc(stem, stem.Length)) return stem + "e";
        return stem;
    }

    private static string Step1C(string w) =>
        w.EndsWith('y') && HasVowel(w, w.Length - 1) ? w[..^1] + "i" : w;

    /// <summary>Applies the first rule whose suffix matches, if its stem has measure >= minMeasure; never a second rule.</summary>
    private static string ApplyFirst(string w, (string Suffix, string Replacement)[] rules, int minMeasure)
    {
        foreach (var (suffix, replacement) in rules)
        {
            if (!w.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var stemLength = w.Length - suffix.Length;
            return Measure(w, stemLength) >= minMeasure ? w[..stemLength] + replacement : w;
        }
        return w;
    }

    private static string Step4(string w)
    {
        foreach (var suffix in Step4Suffixes)
        {
            if (!w.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var stemLength = w.Length - suffix.Length;
            if (suffix == "ion" && (stemLength == 0 || w[stemLength - 1] is not ('s' or 't'))) return w;
            return Measure(w, stemLength) > 1 ? w[..stemLength] : w;
        }
        return w;
    }

    private static string Step5A(string w)
    {
        if (!w.EndsWith('e')) return w;
        var m = Measure(w, w.Length - 1);
        return m > 1 || (m == 1 && !EndsCvc(w, w.Length - 1)) ? w[..^1] : w;
    }

    private static string Step5B(string w) =>
        Measure(w, w.Length) > 1 && EndsDoubleConsonant(w, w.Length) && w[^1] == 'l' ? w[..^1] : w;
}
