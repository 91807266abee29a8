// Runs one state machine execution in aws-local-stepfunctions@3.0.0, with every Task answered by
// a loopback HTTP server, and prints one JSON document on stdout: the execution's outcome
// (status, output, error) and what AWS would have seen: the largest input and output of every
// state per scope, payload-limit violations, per Task state its calls, failures and largest
// parameters and result (the server records each call itself), every Map Run (items, children,
// batch sizes, child payloads), states entered (root and children), and retries.
//
// Usage:
//   KEYAGE_TASK_URL=http://127.0.0.1:PORT/task node tests/node/run-sfn.mjs run REQUEST.json
//   node tests/node/run-sfn.mjs batch < SPECS.json
//
// REQUEST.json: {"definition": {...}, "input": ..., "context": {...}, "retryWaitMs": 0,
//                "parallelism": 16, "validate": true}
//   context is the Context Object of the execution ("Execution": {"Id", "Name", "RoleArn",
//   "StartTime"}, "StateMachine": {"Id", "Name"}); Execution.Input is always the input.
// SPECS.json (batch): [{"items": [...], "batchInput": {...}, "maxItemsPerBatch": N,
//                       "maxInputBytesPerBatch": N}, ...] -> one {"batches": [...]} or
//                       {"error": {"Error", "Cause"}} per spec: the ItemBatcher alone, for tests.
//
// Each Task is POSTed as {"execution", "state", "resource", "input", "roleArn"} (input after
// InputPath and Parameters; roleArn is the Task's Credentials.RoleArn, resolved, or absent) to
// KEYAGE_TASK_URL, which answers {"result": ...} or {"error": NAME, "cause": TEXT};
// an error is thrown with that name and message, which the interpreter turns into the state's
// Error and Cause, so Retry and Catch apply as in AWS.
//
// What aws-local-stepfunctions does not do and this harness adds, by rewriting the definition:
//  * Distributed Map (ItemProcessor.ProcessorConfig.Mode DISTRIBUTED). The interpreter would run
//    it inline and ignore ItemBatcher, ToleratedFailure* and the child execution context. Each
//    distributed Map is replaced by a Task with the Map's InputPath, ResultSelector, ResultPath,
//    OutputPath, Retry, Catch and transition, handled here as AWS runs a Map Run:
//      - ItemsPath is evaluated on the Map's effective input, ItemSelector for every item with
//        $$.Map.Item.Index and $$.Map.Item.Value (by the interpreter itself, in the execution's
//        context);
//      - BatchInput is evaluated against the Map's effective input; items are packed in order
//        into batches {"Items": [...], "BatchInput": ...} holding at most MaxItemsPerBatch items
//        and whose JSON encoding (BatchInput included) is at most MaxInputBytesPerBatch bytes
//        (at most 262,144 bytes when unset); an item too large for an empty batch fails the Map
//        with States.DataLimitExceeded (AWS documents the limit, not this error name: inferred);
//      - every batch (every item, without ItemBatcher) runs as its own child execution of the
//        ItemProcessor, with its own Context Object (Execution.Input is the batch, Execution.Id
//        an "express" or "execution" ARN under "<state machine>/<Label or state name>",
//        StateMachine.Id that ARN's state machine), at most MaxConcurrency (or "parallelism") at
//        a time, and the Map's output is the array of child outputs in batch order;
//      - more failed children than ToleratedFailureCount / ToleratedFailurePercentage allow fail
//        the Map with States.ExceedToleratedFailureThreshold (no new children start after that);
//        failed children within the tolerance are not reproduced (AWS's output shape for them is
//        not documented): the harness stops with an error instead of guessing.
//  * $$.Execution.Input and $$.Execution.StartTime. The interpreter sets both anew for every
//    inline Map iteration and Parallel branch (to the item and the current clock). Paths naming
//    them are rewritten to fields that keep the execution's input and the StartTime given in the
//    request, so they read as in AWS, and runs are deterministic. (Reading $$.Execution whole
//    shows those two extra fields.)
//  * Payload limits. Every state's input and output, every Task's parameters and result, and
//    every child's input and output is measured as UTF-8 JSON; a Task's parameters or result or a
//    child's input over 262,144 bytes fails with States.DataLimitExceeded where AWS would, and any
//    state input or output over the limit is reported in "violations" and turns the execution's
//    status to FAILED (States.DataLimitExceeded), as AWS would have failed it there.
//  * Retry waits. Every Retry pauses retryWaitMs (default 0) instead of IntervalSeconds, through
//    the interpreter's retryIntervalOverrides; the attempts still count against MaxAttempts, and
//    the waits AWS would take (IntervalSeconds x BackoffRate^n capped at MaxDelaySeconds, before
//    jitter: an upper bound with JitterStrategy FULL) are summed per retried call and per child.
//  * Credentials. The interpreter ignores them. A Task's Credentials.RoleArn (a literal) or
//    RoleArn.$ (a path, evaluated on the state's effective input as its Parameters are) is
//    resolved and sent to the task server as "roleArn", which answers as that role would (the
//    role's trust and permissions are the server's to reproduce).
// Not reproduced: the $$.State and $$.Task context fields, JSONata, ItemReader, ResultWriter, the 25,000-event history limit, Express children's
// 5-minute limit (the nominal retry waits let a test check it), and DataLimitExceeded being
// catchable by its own name (here it is neither retried nor caught).
//
// Exit status: 0 when the execution ran (whatever its outcome, see "status"), 2 when the harness
// itself failed (bad request, task server unreachable or answering nonsense).

if (typeof Promise.withResolvers !== "function") {
  // Node 20 lacks it; aws-local-stepfunctions@3 calls it for every Task.
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { StateMachine, ExecutionError, ExecutionTimeoutError } from "aws-local-stepfunctions";

/** The hidden parameter that carries a Task's resolved Credentials.RoleArn to callTask. */
const ROLE_ARN_PARAMETER = "__keyageCredentialsRoleArn";

/** The Step Functions payload limit for state input/output, task results and child input. */
const PAYLOAD_LIMIT = 262144;
/** Replaces a Distributed Map; the ARN is only descriptive (handlers are keyed by state name). */
const DISTRIBUTED_MAP_RESOURCE = "arn:aws:states:::keyage-harness:distributedMap";
/** A replaced Map has no timeout of its own in AWS; the interpreter's Task default is 60 s. */
const DISTRIBUTED_MAP_TIMEOUT_SECONDS = 7 * 24 * 3600;
/** Context fields that keep what the interpreter overwrites in nested runs. */
const INPUT_FIELD = "KeyageExecutionInput";
const START_FIELD = "KeyageExecutionStartTime";

/** HarnessError is a failure of the harness, never of the execution: exit status 2. */
class HarnessError extends Error {
  constructor(message) {
    super(message);
    this.name = "HarnessError";
  }
}

/** statesError builds an error the interpreter reports under `name` with `cause` as Cause. */
function statesError(name, cause, { catchable = true, retryable = true } = {}) {
  const err = new Error(cause);
  err.name = name;
  // StateExecutor reads these (RuntimeError getters); plain properties work the same way.
  err.isCatchable = catchable;
  err.isRetryable = retryable;
  return err;
}

function dataLimitError(what, bytes) {
  return statesError(
    "States.DataLimitExceeded",
    `${what} has ${bytes} bytes, over the ${PAYLOAD_LIMIT}-byte limit`,
    { catchable: false, retryable: false },
  );
}

/** jsonBytes is the size AWS counts: the UTF-8 bytes of the compact JSON encoding. */
function jsonBytes(value) {
  return Buffer.byteLength(JSON.stringify(value === undefined ? null : value), "utf8");
}

// ---------------------------------------------------------------------------------------------
// ItemBatcher

/**
 * makeBatches packs items, in order, into batches as a Distributed Map's ItemBatcher does: each
 * batch is {"Items": [...]} plus "BatchInput" when batchInput is not undefined, holds at most
 * maxItems items (0: no count limit) and encodes to at most maxBytes bytes (0: the payload limit),
 * BatchInput included. Throws States.DataLimitExceeded when an item cannot fit an empty batch.
 */
function makeBatches(items, batchInput, maxItems, maxBytes) {
  if (!Array.isArray(items)) {
    throw statesError("States.Runtime", "ItemBatcher: the items are not an array", { catchable: false, retryable: false });
  }
  const byteLimit = maxBytes > 0 ? Math.min(maxBytes, PAYLOAD_LIMIT) : PAYLOAD_LIMIT;
  const empty = batchInput === undefined ? { Items: [] } : { Items: [], BatchInput: batchInput };
  const emptyBytes = jsonBytes(empty);
  const batches = [];
  let current = null;
  let currentBytes = 0;
  items.forEach((item, index) => {
    const itemBytes = jsonBytes(item);
    if (emptyBytes + itemBytes > byteLimit) {
      throw dataLimitError(
        `ItemBatcher: item ${index} (${itemBytes} bytes) in a batch of ${emptyBytes} bytes without items, limit ${byteLimit}: a batch`,
        emptyBytes + itemBytes,
      );
    }
    const added = current === null ? Infinity : currentBytes + 1 + itemBytes; // 1: the comma
    if (current === null || (maxItems > 0 && current.Items.length >= maxItems) || added > byteLimit) {
      current = batchInput === undefined ? { Items: [] } : { Items: [], BatchInput: batchInput };
      batches.push(current);
      currentBytes = emptyBytes + itemBytes;
    } else {
      currentBytes = added;
    }
    current.Items.push(item);
  });
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Definition rewriting

function isDistributed(state) {
  const p = state.ItemProcessor ?? state.Iterator;
  return state.Type === "Map" && p?.ProcessorConfig?.Mode === "DISTRIBUTED";
}

/** rewriteContextPaths points $$.Execution.Input/StartTime at the fields the harness keeps. */
function rewriteContextPaths(value) {
  if (typeof value === "string") {
    // Function replacements: in a replacement string "$$" would mean "$".
    return value
      .replaceAll("$$.Execution.Input", () => `$$.Execution.${INPUT_FIELD}`)
      .replaceAll("$$.Execution.StartTime", () => `$$.Execution.${START_FIELD}`);
  }
  return value;
}

/** rewriteTemplate rewrites the path and intrinsic values of a payload template (keys ".$"). */
function rewriteTemplate(t) {
  if (Array.isArray(t)) return t.map(rewriteTemplate);
  if (t === null || typeof t !== "object") return t;
  const out = {};
  for (const [k, v] of Object.entries(t)) {
    out[k] = k.endsWith(".$") ? rewriteContextPaths(v) : rewriteTemplate(v);
  }
  return out;
}

const TEMPLATE_FIELDS = ["Parameters", "ItemSelector", "ResultSelector"];

/** rewriteChoice rewrites the paths of a choice rule and its nested rules. */
function rewriteChoice(rule) {
  const out = {};
  for (const [k, v] of Object.entries(rule)) {
    if (k === "And" || k === "Or") out[k] = v.map(rewriteChoice);
    else if (k === "Not") out[k] = rewriteChoice(v);
    else if (k === "Variable" || k.endsWith("Path")) out[k] = rewriteContextPaths(v);
    else out[k] = v;
  }
  return out;
}

/**
 * rewriteGraph returns a copy of a state graph ({StartAt, States}) for the interpreter, and
 * registers into `plan` every Task, every replaced Distributed Map and every state with Retry.
 */
function rewriteGraph(graph, plan) {
  const states = {};
  for (const [name, original] of Object.entries(graph.States)) {
    if (plan.names.has(name)) {
      throw new HarnessError(`state name ${JSON.stringify(name)} appears twice; the harness keys handlers by name`);
    }
    plan.names.add(name);
    const s = {};
    for (const [k, v] of Object.entries(original)) {
      if (TEMPLATE_FIELDS.includes(k)) s[k] = rewriteTemplate(v);
      else if (k === "Choices") s[k] = v.map(rewriteChoice);
      else if (k.endsWith("Path") && k !== "ResultPath") s[k] = rewriteContextPaths(v);
      else s[k] = v;
    }
    if (s.QueryLanguage === "JSONata") {
      throw new HarnessError(`state ${name}: JSONata is not supported by aws-local-stepfunctions`);
    }
    if (s.Type === "Parallel") {
      s.Branches = s.Branches.map((b) => rewriteGraph(b, plan));
    }
    if (s.Type === "Map") {
      if (s.ItemBatcher) {
        const b = {};
        for (const [k, v] of Object.entries(s.ItemBatcher)) {
          b[k] = k === "BatchInput" ? rewriteTemplate(v) : k.endsWith("Path") ? rewriteContextPaths(v) : v;
        }
        s.ItemBatcher = b;
      }
      const proc = s.ItemProcessor ?? s.Iterator;
      const child = rewriteGraph(proc, plan);
      if (isDistributed(s)) {
        if (s.ItemReader || s.ResultWriter) {
          throw new HarnessError(`state ${name}: ItemReader and ResultWriter are not reproduced`);
        }
        plan.distributedMaps.set(name, {
          map: s,
          executionType: proc.ProcessorConfig.ExecutionType ?? "STANDARD",
          processor: { StartAt: child.StartAt, States: child.States },
        });
        const task = { Type: "Task", Resource: DISTRIBUTED_MAP_RESOURCE, TimeoutSeconds: DISTRIBUTED_MAP_TIMEOUT_SECONDS };
        for (const k of ["Comment", "InputPath", "ResultSelector", "ResultPath", "OutputPath", "Retry", "Catch", "Next", "End"]) {
          if (k in s) task[k] = s[k];
        }
        states[name] = task;
        if (task.Retry) plan.retrying.add(name);
        continue;
      }
      const { ProcessorConfig: _ignored, ...rest } = proc;
      if (s.ItemProcessor) s.ItemProcessor = { ...rest, StartAt: child.StartAt, States: child.States };
      else s.Iterator = { ...rest, StartAt: child.StartAt, States: child.States };
    }
    if (s.Type === "Task" && s.Credentials) {
      const { RoleArn: literal, "RoleArn.$": path } = s.Credentials;
      if (typeof s.Parameters !== "object" || s.Parameters === null || Array.isArray(s.Parameters)) {
        throw new HarnessError(`state ${name}: Credentials on a Task without Parameters object are not reproduced`);
      }
      s.Parameters = { ...s.Parameters };
      if (typeof path === "string") s.Parameters[ROLE_ARN_PARAMETER + ".$"] = rewriteContextPaths(path);
      else if (typeof literal === "string") s.Parameters[ROLE_ARN_PARAMETER] = literal;
      else throw new HarnessError(`state ${name}: Credentials without RoleArn or RoleArn.$`);
      delete s.Credentials;
    }
    if (s.Type === "Task") plan.tasks.set(name, s.Resource);
    if (s.Retry) plan.retrying.add(name);
    states[name] = s;
  }
  return { ...graph, States: states };
}

// ---------------------------------------------------------------------------------------------
// Measurements

const report = {
  states: new Map(), // key scope|name -> {scope, name, type, entered, maxInputBytes, maxOutputBytes}
  violations: [],
  tasks: new Map(), // state -> {state, resource, calls, failures, maxInputBytes, maxResultBytes}
  maps: [], // one entry per Map Run
  transitions: { root: 0, children: 0, childExecutions: 0 },
  // The most history events one Standard execution (the root, or a STANDARD child) would record,
  // and which one: AWS fails an execution at 25,000.
  history: { maxEvents: 0, scope: "" },
  retries: { count: 0, byState: {}, maxNominalWaitSecondsPerCall: 0, maxNominalWaitSecondsPerChild: 0 },
};

function violation(what, scope, name, bytes) {
  report.violations.push({ what, scope, name, bytes });
}

function measureState(exec, ev, direction) {
  const { name, type } = ev.state;
  const key = `${exec.scope}|${name}`;
  let m = report.states.get(key);
  if (!m) {
    const displayType = exec.plan.distributedMaps.has(name) ? "Map (distributed)" : type;
    m = { scope: exec.scope, name, type: displayType, entered: 0, maxInputBytes: 0, maxOutputBytes: 0 };
    report.states.set(key, m);
  }
  const value = direction === "input" ? ev.state.input : ev.state.output;
  const bytes = jsonBytes(value);
  if (direction === "input") {
    m.entered++;
    m.maxInputBytes = Math.max(m.maxInputBytes, bytes);
  } else {
    m.maxOutputBytes = Math.max(m.maxOutputBytes, bytes);
  }
  if (bytes > PAYLOAD_LIMIT) violation(`state ${direction}`, exec.scope, name, bytes);
}

function nominalWaitSeconds(retrier, attempt) {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  const wait = interval * Math.pow(backoff, attempt - 1);
  return retrier.MaxDelaySeconds !== undefined ? Math.min(wait, retrier.MaxDelaySeconds) : wait;
}

/** consume reads an execution's event log to the end, measuring as it goes. */
async function consume(exec, eventLogs) {
  const chains = new Map(); // one retried call: scope|iteration|state -> nominal seconds
  // History events as a Standard execution records them (ExecutionStarted and ...Succeeded, a
  // ...StateEntered and ...StateExited per state, TaskScheduled, TaskStarted and TaskSucceeded
  // per Task, and a Map's MapStateStarted/MapRunStarted and ...Succeeded, TaskFailed,
  // TaskScheduled and TaskStarted again per retry, one per Map iteration event):
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
  let events = 2;
  for await (const ev of eventLogs) {
    switch (ev.type) {
      case "StateEntered":
        events += 1 + (ev.state.type === "Task" ? 3 : ev.state.type === "Map" ? 2 : 0);
        break;
      case "StateRetried":
        events += 3;
        break;
      default:
        events += 1;
    }
    switch (ev.type) {
      case "StateEntered":
        measureState(exec, ev, "input");
        if (exec.isChild) report.transitions.children++;
        else report.transitions.root++;
        break;
      case "StateExited":
        measureState(exec, ev, "output");
        break;
      case "StateRetried": {
        const wait = nominalWaitSeconds(ev.retry.retrier, ev.retry.attempt);
        const key = `${ev.index ?? ""}|${ev.state.name}`;
        const chain = (chains.get(key) ?? 0) + wait;
        chains.set(key, chain);
        exec.nominalWaitSeconds += wait;
        report.retries.count++;
        report.retries.byState[ev.state.name] = (report.retries.byState[ev.state.name] ?? 0) + 1;
        report.retries.maxNominalWaitSecondsPerCall = Math.max(report.retries.maxNominalWaitSecondsPerCall, chain);
        break;
      }
      default:
        break;
    }
    if (ev.type === "StateExited" || ev.type === "StateCaught") {
      // A finished call starts a new chain if the state is entered again (next page, next item).
      chains.delete(`${ev.index ?? ""}|${ev.state.name}`);
    }
  }
  if (exec.standard && events > report.history.maxEvents) {
    report.history = { maxEvents: events, scope: exec.scope === "" ? "root" : exec.scope };
  }
  if (exec.isChild) {
    report.retries.maxNominalWaitSecondsPerChild = Math.max(report.retries.maxNominalWaitSecondsPerChild, exec.nominalWaitSeconds);
  }
}

// ---------------------------------------------------------------------------------------------
// Execution

let fatal = null; // the first HarnessError; stops everything

function fail(err) {
  if (!fatal) fatal = err;
  for (const abort of liveAborts) abort();
}
const liveAborts = new Set();

async function callTask(exec, state, resource, input) {
  if (fatal) throw fatal;
  let roleArn;
  if (input !== null && typeof input === "object" && ROLE_ARN_PARAMETER in input) {
    ({ [ROLE_ARN_PARAMETER]: roleArn, ...input } = input);
  }
  const inputBytes = jsonBytes(input);
  let t = report.tasks.get(state);
  if (!t) {
    t = { state, resource, calls: 0, failures: 0, maxInputBytes: 0, maxResultBytes: 0 };
    report.tasks.set(state, t);
  }
  t.calls++;
  t.maxInputBytes = Math.max(t.maxInputBytes, inputBytes);
  if (inputBytes > PAYLOAD_LIMIT) {
    violation("task parameters", exec.scope, state, inputBytes);
    t.failures++;
    throw dataLimitError(`the parameters of ${state}`, inputBytes);
  }
  let answer;
  try {
    const res = await fetch(exec.taskURL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ execution: exec.id, state, resource, input, roleArn }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new HarnessError(`task server answered ${res.status} for ${state}: ${text.slice(0, 500)}`);
    answer = JSON.parse(text);
  } catch (err) {
    const h = err instanceof HarnessError ? err : new HarnessError(`task ${state} (${resource}): ${err.message}`);
    fail(h);
    throw h;
  }
  if (typeof answer.error === "string") {
    t.failures++;
    throw statesError(answer.error, typeof answer.cause === "string" ? answer.cause : JSON.stringify(answer.cause ?? ""));
  }
  if (!("result" in answer)) {
    const h = new HarnessError(`task server answer for ${state} has neither "result" nor "error"`);
    fail(h);
    throw h;
  }
  const resultBytes = jsonBytes(answer.result);
  t.maxResultBytes = Math.max(t.maxResultBytes, resultBytes);
  if (resultBytes > PAYLOAD_LIMIT) {
    violation("task result", exec.scope, state, resultBytes);
    t.failures++;
    throw dataLimitError(`the result of ${state}`, resultBytes);
  }
  return answer.result;
}

/** evaluate runs a one-state machine to apply a payload template in an execution's context. */
async function evaluate(states, input, ctx) {
  const sm = new StateMachine({ StartAt: "Evaluate", States: { Evaluate: { ...states, End: true } } }, { validationOptions: { noValidate: true } });
  try {
    return await sm.run(input, { context: ctx }).result;
  } catch (err) {
    throw err instanceof ExecutionError ? err.cause : err;
  }
}

function positiveInt(value, field, max) {
  if (!Number.isInteger(value) || value < 0 || (max !== undefined && value > max)) {
    throw statesError("States.Runtime", `${field} is ${JSON.stringify(value)}, want an integer 0..${max ?? "any"}`, { catchable: false, retryable: false });
  }
  return value;
}

async function runDistributedMap(exec, name, input) {
  const { map, processor, executionType } = exec.plan.distributedMaps.get(name);
  const ctx = exec.context;
  // The items after ItemSelector, evaluated by the interpreter with $$.Map.Item in context.
  const selector = map.ItemSelector ?? map.Parameters;
  let selected;
  if (selector !== undefined) {
    selected = await evaluate(
      {
        Type: "Map",
        ItemsPath: map.ItemsPath ?? "$",
        ItemSelector: selector,
        ItemProcessor: { StartAt: "Item", States: { Item: { Type: "Pass", End: true } } },
      },
      input,
      ctx,
    );
  } else {
    selected = (await evaluate({ Type: "Pass", Parameters: { "items.$": map.ItemsPath ?? "$" } }, input, ctx)).items;
    if (!Array.isArray(selected)) {
      throw statesError("States.Runtime", `ItemsPath ${map.ItemsPath ?? "$"} of ${name} is not an array`, { catchable: false, retryable: false });
    }
  }
  // Everything else the Map reads from its input.
  const batcher = map.ItemBatcher;
  const template = {};
  if (batcher?.BatchInput !== undefined) template.batchInput = batcher.BatchInput;
  if (batcher?.MaxItemsPerBatchPath) template["maxItems.$"] = batcher.MaxItemsPerBatchPath;
  if (batcher?.MaxInputBytesPerBatchPath) template["maxBytes.$"] = batcher.MaxInputBytesPerBatchPath;
  if (map.MaxConcurrencyPath) template["maxConcurrency.$"] = map.MaxConcurrencyPath;
  if (map.ToleratedFailureCountPath) template["toleratedCount.$"] = map.ToleratedFailureCountPath;
  if (map.ToleratedFailurePercentagePath) template["toleratedPercentage.$"] = map.ToleratedFailurePercentagePath;
  const v = Object.keys(template).length > 0 ? await evaluate({ Type: "Pass", Parameters: template }, input, ctx) : {};
  const maxConcurrency = positiveInt(v.maxConcurrency ?? map.MaxConcurrency ?? 0, `MaxConcurrency of ${name}`);
  const toleratedCount = positiveInt(v.toleratedCount ?? map.ToleratedFailureCount ?? 0, `ToleratedFailureCount of ${name}`);
  const toleratedPercentage = v.toleratedPercentage ?? map.ToleratedFailurePercentage ?? 0;

  let inputs;
  if (batcher) {
    const maxItems = positiveInt(v.maxItems ?? batcher.MaxItemsPerBatch ?? 0, `MaxItemsPerBatch of ${name}`);
    const maxBytes = positiveInt(v.maxBytes ?? batcher.MaxInputBytesPerBatch ?? 0, `MaxInputBytesPerBatch of ${name}`, PAYLOAD_LIMIT);
    inputs = makeBatches(selected, v.batchInput, maxItems, maxBytes);
  } else {
    inputs = selected;
  }

  const run = {
    state: name,
    scope: exec.scope,
    items: selected.length,
    children: inputs.length,
    minBatchItems: batcher && inputs.length ? Math.min(...inputs.map((b) => b.Items.length)) : undefined,
    maxBatchItems: batcher && inputs.length ? Math.max(...inputs.map((b) => b.Items.length)) : undefined,
    maxChildInputBytes: 0,
    maxChildOutputBytes: 0,
    failedChildren: 0,
  };
  report.maps.push(run);

  const label = map.Label ?? name;
  const sm = new StateMachine(processor, { validationOptions: { noValidate: true } });
  const smArn = ctx.StateMachine?.Id ?? "arn:aws:states:us-east-1:123456789012:stateMachine:keyage";
  const [, , , region = "us-east-1", account = "123456789012", , smName = "keyage"] = smArn.split(":");
  const mapRunId = randomUUID();
  const outputs = new Array(inputs.length);
  const failures = [];
  // Only the thresholds the Map sets apply; with neither, no failure is tolerated.
  const hasCount = map.ToleratedFailureCount !== undefined || map.ToleratedFailureCountPath !== undefined;
  const hasPercentage = map.ToleratedFailurePercentage !== undefined || map.ToleratedFailurePercentagePath !== undefined;
  const tolerated = () => {
    if (!hasCount && !hasPercentage) return failures.length === 0;
    if (hasCount && failures.length > toleratedCount) return false;
    return !hasPercentage || (100 * failures.length) / inputs.length <= toleratedPercentage;
  };

  const runChild = async (index) => {
    const childInput = inputs[index];
    const inBytes = jsonBytes(childInput);
    run.maxChildInputBytes = Math.max(run.maxChildInputBytes, inBytes);
    if (inBytes > PAYLOAD_LIMIT) {
      violation("child execution input", `${exec.scope}${name}/child`, name, inBytes);
      throw dataLimitError(`the input of child ${index} of ${name}`, inBytes);
    }
    const kind = executionType === "EXPRESS" ? "express" : "execution";
    const childName = `${mapRunId}:${index}`;
    const child = {
      id: `arn:aws:states:${region}:${account}:${kind}:${smName}/${label}:${childName}`,
      scope: `${exec.scope}${name}/child`,
      isChild: true,
      standard: executionType !== "EXPRESS",
      plan: exec.plan,
      taskURL: exec.taskURL,
      retryWaitMs: exec.retryWaitMs,
      parallelism: exec.parallelism,
      nominalWaitSeconds: 0,
      context: {
        Execution: {
          Id: `arn:aws:states:${region}:${account}:${kind}:${smName}/${label}:${childName}`,
          Name: childName,
          RoleArn: ctx.Execution?.RoleArn,
          [INPUT_FIELD]: childInput,
          [START_FIELD]: ctx.Execution?.[START_FIELD],
        },
        StateMachine: { Id: `arn:aws:states:${region}:${account}:stateMachine:${smName}/${label}`, Name: `${smName}/${label}` },
      },
    };
    report.transitions.childExecutions++;
    const execution = sm.run(childInput, { overrides: overridesFor(child), context: child.context });
    liveAborts.add(execution.abort);
    const consumed = consume(child, execution.eventLogs);
    try {
      const out = await execution.result;
      const outBytes = jsonBytes(out);
      run.maxChildOutputBytes = Math.max(run.maxChildOutputBytes, outBytes);
      if (outBytes > PAYLOAD_LIMIT) {
        violation("child execution output", child.scope, name, outBytes);
        throw dataLimitError(`the output of child ${index} of ${name}`, outBytes);
      }
      outputs[index] = out;
    } catch (err) {
      if (fatal) throw fatal;
      const cause = err instanceof ExecutionError ? err.cause : err;
      failures.push({ index, Error: cause.name, Cause: cause.message });
      run.failedChildren++;
    } finally {
      liveAborts.delete(execution.abort);
      await consumed;
    }
  };

  // AWS runs up to MaxConcurrency children (0: up to 10,000); locally at most `parallelism`.
  const limit = Math.max(1, Math.min(maxConcurrency || 10000, exec.parallelism));
  let next = 0;
  const worker = async () => {
    while (next < inputs.length && tolerated()) {
      const index = next++;
      await runChild(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
  if (fatal) throw fatal;
  if (!tolerated()) {
    const first = failures[0];
    throw statesError(
      "States.ExceedToleratedFailureThreshold",
      `${failures.length} of ${inputs.length} child executions of ${name} failed; the first (child ${first.index}): ${first.Error}: ${first.Cause}`,
    );
  }
  if (failures.length > 0) {
    const h = new HarnessError(`${failures.length} child executions of ${name} failed within the tolerance; AWS's output for them is not reproduced`);
    fail(h);
    throw h;
  }
  return outputs;
}

/** overridesFor gives an execution its own handlers, so that each knows its context. */
function overridesFor(exec) {
  const handlers = {};
  for (const [state, resource] of exec.plan.tasks) {
    handlers[state] = (input) => callTask(exec, state, resource, input);
  }
  for (const name of exec.plan.distributedMaps.keys()) {
    handlers[name] = (input) => runDistributedMap(exec, name, input);
  }
  const retry = {};
  for (const name of exec.plan.retrying) retry[name] = exec.retryWaitMs;
  return { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retry };
}

async function runRequest(request) {
  const taskURL = process.env.KEYAGE_TASK_URL;
  if (!taskURL) throw new HarnessError("KEYAGE_TASK_URL is not set: the loopback server that answers Tasks");
  if (!request || typeof request.definition !== "object") throw new HarnessError("the request has no definition object");
  if (request.definition.QueryLanguage === "JSONata") {
    throw new HarnessError("the machine's QueryLanguage is JSONata, which aws-local-stepfunctions does not support");
  }
  const plan = { names: new Set(), tasks: new Map(), distributedMaps: new Map(), retrying: new Set() };
  const definition = rewriteGraph(request.definition, plan);
  const given = request.context ?? {};
  const startTime = given.Execution?.StartTime ?? new Date().toISOString();
  const exec = {
    id: given.Execution?.Id ?? "root",
    scope: "",
    isChild: false,
    standard: true,
    plan,
    taskURL,
    retryWaitMs: request.retryWaitMs ?? 0,
    parallelism: request.parallelism ?? 16,
    nominalWaitSeconds: 0,
    context: {
      ...given,
      Execution: { ...given.Execution, [INPUT_FIELD]: request.input, [START_FIELD]: startTime },
    },
  };
  // The original is validated as written (asl-validator, ARNs and paths: about 1.5 s, so a
  // caller running one definition many times may say "validate": false after the first run);
  // the rewrite is not revalidated, as its only novelty is the harness's Task resource.
  if (request.validate !== false) {
    new StateMachine(request.definition, { validationOptions: { checkArn: true, checkPaths: true } });
  }
  const sm = new StateMachine(definition, { validationOptions: { noValidate: true } });

  const started = Date.now();
  const execution = sm.run(request.input, { overrides: overridesFor(exec), context: exec.context });
  liveAborts.add(execution.abort);
  const consumed = consume(exec, execution.eventLogs);
  let status = "SUCCEEDED";
  let output = null;
  let error = null;
  try {
    output = await execution.result;
  } catch (err) {
    if (fatal) throw fatal;
    if (err instanceof ExecutionTimeoutError) {
      status = "TIMED_OUT";
      error = { Error: "States.Timeout", Cause: "the execution's TimeoutSeconds elapsed" };
    } else if (err instanceof ExecutionError) {
      status = "FAILED";
      error = { Error: err.cause.name, Cause: err.cause.message };
    } else {
      throw new HarnessError(`the interpreter failed: ${err.stack ?? err}`);
    }
  }
  await consumed;
  if (fatal) throw fatal;
  if (status === "SUCCEEDED" && report.violations.length > 0) {
    const v = report.violations[0];
    status = "FAILED";
    error = { Error: "States.DataLimitExceeded", Cause: `${v.what} of ${v.scope}${v.name} has ${v.bytes} bytes, over ${PAYLOAD_LIMIT}` };
  }
  const states = [...report.states.values()].sort((a, b) => (a.scope + a.name < b.scope + b.name ? -1 : 1));
  let largest = { bytes: 0 };
  for (const s of states) {
    if (s.maxInputBytes > largest.bytes) largest = { scope: s.scope, name: s.name, direction: "input", bytes: s.maxInputBytes };
    if (s.maxOutputBytes > largest.bytes) largest = { scope: s.scope, name: s.name, direction: "output", bytes: s.maxOutputBytes };
  }
  return {
    status,
    output,
    error,
    limit: PAYLOAD_LIMIT,
    largest,
    states,
    violations: report.violations,
    tasks: [...report.tasks.values()].sort((a, b) => (a.state < b.state ? -1 : 1)),
    distributedMaps: report.maps,
    transitions: report.transitions,
    history: report.history,
    retries: report.retries,
    durationMs: Date.now() - started,
  };
}

async function main() {
  const [mode, file] = process.argv.slice(2);
  if (mode === "batch") {
    const specs = JSON.parse(readFileSync(0, "utf8"));
    if (!Array.isArray(specs)) throw new HarnessError("batch: stdin must be a JSON array of specs");
    return specs.map((spec) => {
      try {
        return { batches: makeBatches(spec.items, spec.batchInput, spec.maxItemsPerBatch ?? 0, spec.maxInputBytesPerBatch ?? 0) };
      } catch (err) {
        return { error: { Error: err.name, Cause: err.message } };
      }
    });
  }
  if (mode === "run" && file) {
    return runRequest(JSON.parse(readFileSync(file, "utf8")));
  }
  throw new HarnessError("usage: run-sfn.mjs run REQUEST.json | run-sfn.mjs batch < SPECS.json");
}

main().then(
  (out) => {
    process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(0));
  },
  (err) => {
    process.stderr.write(`run-sfn: ${err instanceof HarnessError ? err.message : err.stack ?? err}\n`);
    process.exit(2);
  },
);
