#!/usr/bin/env node
// Reference tokenization with Hugging Face's own implementations, for the parity test.
//   node hf_tokenize.js <rust|js> <tokenizer.json> <strings.jsonl> <out.jsonl>
// rust: npm `tokenizers`, the napi binding of the Rust `tokenizers` crate (what transformers runs);
// js:   npm `@huggingface/tokenizers` (tokenizers.js, the pure JavaScript port).
// Input: one JSON string per line. Output, one line per input:
//   [ids with add_special_tokens, ids without, decode(ids without, skip_special_tokens=false)]
'use strict';
const fs = require('fs');
const path = require('path');

function requireFromRepo(name) {
  const root = path.resolve(__dirname, '..', '..');
  try {
    return require(require.resolve(name, { paths: [root] }));
  } catch (err) {
    process.stderr.write(`cannot load npm package '${name}': run 'npm ci' in ${root} (${err.message})\n`);
    process.exit(3);
  }
}

async function main() {
  const [impl, tokenizerPath, inputPath, outputPath] = process.argv.slice(2);
  if (!outputPath || (impl !== 'rust' && impl !== 'js')) {
    process.stderr.write('usage: hf_tokenize.js <rust|js> <tokenizer.json> <strings.jsonl> <out.jsonl>\n');
    process.exit(2);
  }
  const strings = fs.readFileSync(inputPath, 'utf8').split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line));
  const rows = [];
  if (impl === 'rust') {
    const { Tokenizer } = requireFromRepo('tokenizers');
    const tokenizer = Tokenizer.fromFile(tokenizerPath);
    const withSpecial = await tokenizer.encodeBatch(strings, { addSpecialTokens: true });
    const without = await tokenizer.encodeBatch(strings, { addSpecialTokens: false });
    const withoutIds = without.map((e) => Array.from(e.getIds()));
    const decoded = await tokenizer.decodeBatch(withoutIds, false);
    for (let i = 0; i < strings.length; i++) rows.push([Array.from(withSpecial[i].getIds()), withoutIds[i], decoded[i]]);
  } else {
    const { Tokenizer } = requireFromRepo('@huggingface/tokenizers');
    const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(tokenizerPath, 'utf8')), {});
    for (const s of strings) {
      const without = tokenizer.encode(s, { add_special_tokens: false }).ids;
      rows.push([tokenizer.encode(s, { add_special_tokens: true }).ids, without, tokenizer.decode(without, { skip_special_tokens: false })]);
    }
  }
  fs.writeFileSync(outputPath, rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`hf_tokenize.js: ${err.stack || err}\n`);
  process.exit(1);
});
