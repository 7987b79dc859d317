namespace RftFunctions.Model.Tokenization;

/// <summary>
/// One entry of tokenizer.json's <c>added_tokens</c>: a string that is matched in the text before pre-tokenization
/// and never split into sub-tokens.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Special">Special tokens (control tokens such as &lt;|im_start|&gt;) can be skipped when decoding.</param>
/// <param name="SingleWord">Only match when not glued to word characters on either side.</param>
/// <param name="LeftStrip">A match also swallows the whitespace before it.</param>
/// <param name="RightStrip">A match also swallows the whitespace after it.</param>
/// <param name="Normalized">Match against the normalized text instead of the raw text.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LeftStrip, bool RightStrip, bool Normalized);
