// Runs asl-validator@4.0.0 over ASL definition files and prints one JSON document on stdout:
//   [{"file": "...", "valid": true|false, "errors": ["..."]}, ...]
// Usage: node tests/node/asl-validate.mjs FILE...   (or "-" to read a JSON array of
// {"name": ..., "definition": ...} objects from stdin, reported under "name").
// Exit status: 0 when every definition was checked (valid or not), 2 when the script itself failed
// (unreadable file, malformed JSON), so callers can tell "invalid" from "could not check".
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const aslValidator = require("asl-validator");

// describe flattens one asl-validator error: schema errors are ajv objects (instancePath,
// message), the semantic checks return {"Error code", "Message"}.
function describe(e) {
  if (e["Error code"] !== undefined) return `${e["Error code"]}: ${e.Message}`;
  const where = e.instancePath || e.path || "";
  const extra = e.params ? ` ${JSON.stringify(e.params)}` : "";
  return `${where ? where + ": " : ""}${e.message}${extra}`;
}

function check(name, text) {
  let definition;
  try {
    definition = JSON.parse(text);
  } catch (err) {
    return { file: name, valid: false, errors: [`not JSON: ${err.message}`], parseError: true };
  }
  const { isValid, errors } = aslValidator(definition, { checkPaths: true, checkArn: true });
  return { file: name, valid: Boolean(isValid), errors: (errors || []).map(describe) };
}

const args = process.argv.slice(2);
if (args.length === 0) {
  process.stderr.write("usage: node asl-validate.mjs FILE... | -\n");
  process.exit(2);
}
const results = [];
try {
  if (args.length === 1 && args[0] === "-") {
    const items = JSON.parse(readFileSync(0, "utf8"));
    for (const { name, definition } of items) {
      results.push(check(name, JSON.stringify(definition)));
    }
  } else {
    for (const file of args) {
      results.push(check(file, readFileSync(file, "utf8")));
    }
  }
} catch (err) {
  process.stderr.write(`asl-validate: ${err.stack || err}\n`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(results, null, 2) + "\n");
