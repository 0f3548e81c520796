import { join } from "node:path";
import { MAX_MESSAGE_BYTES } from "../../src/contracts/parse";
import { readJson, repoRoot, sampleRequest } from "../support/samples";

/**
 * Promise 6's corpus of malformed inputs, as data. Every entry says what the rejection must name:
 * `field` is the path a rejection line starts with (`field: message`, as formatIssues prints it;
 * `(root)` for the body as a whole). test/reliability/badInput.test.ts sends every entry through
 * every entry point: the queue, the HTTP starter and the CLI (`validate`, `enqueue`) take the request
 * corpus; the Event Grid webhook and `validate --kind event` take the event corpus, which includes
 * every request entry that is a deploy *target* problem wrapped as a BulkTestPassed event's
 * `data.deploy` (field `data.deploy.<field>`).
 */
export interface BadInput {
  label: string;
  /** The body: JSON text as sent (possibly not JSON), or a value sent as its JSON text. */
  text?: string;
  json?: unknown;
  /** The field path the rejection must name. */
  field: string;
  /** More the rejection must say. */
  says?: RegExp;
  /**
   * Whether the problem is in the deploy *target* (wrapped into an event's data.deploy). False for
   * problems of the request envelope: its requestId and schemaVersion, and bodies that are not objects.
   */
  target?: false;
  /** Larger than a Service Bus message may be (256 KB): HTTP answers 413, the trigger rejects it by size. */
  oversized?: true;
}

/**
 * Each corpus event has its own id: Event Grid ids identify events, so two deliveries with one id are
 * the same event (and get one Rejected notification, by design).
 */
let eventIds = 0;
const withFreshId = (e: Record<string, any>) => ({ ...e, id: `corpus-event-${++eventIds}` });
const SAMPLE_EVENT = (): Record<string, any> => withFreshId(readJson(join(repoRoot, "samples", "bulk-test-passed.event.json")));
const RUN_COMPLETED = (): Record<string, any> => withFreshId(readJson(join(repoRoot, "test", "fixtures", "azure", "eventgrid.cloudevents.RunCompleted.json")));
const WORKSPACE_ID = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";

/** The sample request with one change. */
function req(change: (r: Record<string, any>) => void): Record<string, any> {
  const r = sampleRequest();
  change(r);
  return r;
}

const set = (path: string, value: unknown) =>
  req((r) => {
    const parts = path.split(".");
    let cur = r;
    for (const p of parts.slice(0, -1)) cur = cur[p] ??= {};
    const last = parts[parts.length - 1]!;
    if (value === undefined) delete cur[last];
    else cur[last] = value;
  });

/** A smoke-test input nested 10,000 levels deep (16 KB of brackets): valid JSON, legal sizes. */
const deeplyNested = (json: string) => json.replace('"input":{', `"input":{"deep":${"[".repeat(10_000)}${"]".repeat(10_000)},`);

export const REQUEST_CORPUS: BadInput[] = [
  // Not JSON, or not a JSON object.
  { label: "empty body", text: "", field: "(root)", says: /not valid JSON/, target: false },
  { label: "truncated JSON", text: JSON.stringify(sampleRequest()).slice(0, 60), field: "(root)", says: /not valid JSON/, target: false },
  { label: "plain text", text: "deploy web-classify please", field: "(root)", says: /not valid JSON/, target: false },
  { label: "trailing comma", text: '{"schemaVersion": "1",}', field: "(root)", says: /not valid JSON/, target: false },
  { label: "single quotes", text: "{'schemaVersion': '1'}", field: "(root)", says: /not valid JSON/, target: false },
  { label: "NaN literal", text: '{"schemaVersion": NaN}', field: "(root)", says: /not valid JSON/, target: false },
  { label: "JSON null", text: "null", field: "(root)", target: false },
  { label: "JSON number", text: "42", field: "(root)", target: false },
  { label: "JSON string", text: '"web-classification"', field: "(root)", target: false },
  { label: "JSON true", text: "true", field: "(root)", target: false },
  { label: "empty array", text: "[]", field: "(root)", target: false },
  { label: "an array holding a valid request", json: [sampleRequest()], field: "(root)", target: false },
  { label: "empty object", json: {}, field: "schemaVersion", says: /required/, target: false },

  // Wrong types.
  { label: "schemaVersion as a number", json: set("schemaVersion", 1), field: "schemaVersion", target: false },
  { label: "requestId as a number", json: set("requestId", 123), field: "requestId", target: false },
  { label: "workspace as a string", json: set("workspace", "ws-promptflow"), field: "workspace" },
  { label: "subscriptionId not a GUID", json: set("workspace.subscriptionId", "my-subscription"), field: "workspace.subscriptionId", says: /GUID/ },
  { label: "authMode in ARM's casing", json: set("endpoint.authMode", "Key"), field: "endpoint.authMode" },
  { label: "identity type None", json: set("endpoint.identity.type", "None"), field: "endpoint.identity.type" },
  { label: "instanceCount as a string", json: set("deployment.instanceCount", "1"), field: "deployment.instanceCount" },
  { label: "instanceCount fractional", json: set("deployment.instanceCount", 1.5), field: "deployment.instanceCount" },
  { label: "instanceCount zero", json: set("deployment.instanceCount", 0), field: "deployment.instanceCount" },
  { label: "instanceCount negative", json: set("deployment.instanceCount", -3), field: "deployment.instanceCount" },
  { label: "instanceCount huge", json: set("deployment.instanceCount", 1e9), field: "deployment.instanceCount" },
  { label: "environmentVariables as an array", json: set("deployment.environmentVariables", ["A=1"]), field: "deployment.environmentVariables" },
  { label: "environment variable value a number", json: set("deployment.environmentVariables", { TIMEOUT: 30 }), field: "deployment.environmentVariables.TIMEOUT" },
  { label: "smokeTest.input as a string", json: set("smokeTest.input", "https://example.com"), field: "smokeTest.input" },
  { label: "expectFields as a string", json: set("smokeTest.expectFields", "category"), field: "smokeTest.expectFields" },
  { label: "unknown rollout strategy", json: set("rollout.strategy", "rolling"), field: "rollout.strategy" },
  { label: "unknown onFailure policy", json: set("rollout.onFailure", "ignore"), field: "rollout.onFailure" },
  { label: "propagation below 15 minutes", json: set("propagationMinutes", 5), field: "propagationMinutes", says: /15/ },
  { label: "propagation as a string", json: set("propagationMinutes", "16"), field: "propagationMinutes" },
  { label: "unknown flow mode", json: set("flow.mode", "batch"), field: "flow.mode" },
  { label: "flow path on the local disk", json: set("flow.path", "file:///etc/passwd"), field: "flow.path" },

  // Missing fields, and rules across fields.
  { label: "no schemaVersion", json: set("schemaVersion", undefined), field: "schemaVersion", says: /required/, target: false },
  { label: "no requestId", json: set("requestId", undefined), field: "requestId", says: /required/, target: false },
  { label: "no workspace", json: set("workspace", undefined), field: "workspace", says: /required/ },
  { label: "no endpoint", json: set("endpoint", undefined), field: "endpoint", says: /required/ },
  { label: "no deployment", json: set("deployment", undefined), field: "deployment", says: /required/ },
  { label: "no smokeTest", json: set("smokeTest", undefined), field: "smokeTest", says: /required/ },
  { label: "neither flow nor model", json: set("flow", undefined), field: "flow", says: /required/ },
  { label: "both flow and model", json: set("model", { name: "web-classification", version: "1" }), field: "model", says: /exactly one/ },
  { label: "chat flow without chatInput", json: req((r) => Object.assign(r["flow"], { mode: "chat", chatOutput: "answer" })), field: "flow.chatInput" },
  { label: "user-assigned identity id with an encoded path", json: set("endpoint.identity", { type: "UserAssigned", resourceId: "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id%2F..%2Fother" }), field: "endpoint.identity.resourceId" },
  { label: "a typo in a field name", json: req((r) => { r["deployment"].instanceTyp = r["deployment"].instanceType; delete r["deployment"].instanceType; }), field: "deployment", says: /unknown field "instanceTyp"/ },

  // Oversized.
  { label: "requestId of 129 characters", json: set("requestId", `r${"x".repeat(128)}`), field: "requestId", says: /128/, target: false },
  { label: "environment variable value of 5,000 characters", json: set("deployment.environmentVariables", { BIG: "x".repeat(5000) }), field: "deployment.environmentVariables.BIG", says: /4096/ },
  { label: "51 expected fields", json: set("smokeTest.expectFields", Array.from({ length: 51 }, (_, i) => `f${i}`)), field: "smokeTest.expectFields" },
  { label: "10,000 unknown fields", json: req((r) => { for (let i = 0; i < 10_000; i++) r[`field${i}`] = i; }), field: "(root)", says: /unknown fields "field0", .*"field9" and 9990 more$/ },
  { label: "smokeTest.input nested 10,000 levels deep", text: deeplyNested(JSON.stringify(sampleRequest())), field: "smokeTest.input", says: /deeper than/, target: false },
  { label: "body over 256 KB", text: JSON.stringify({ ...sampleRequest(), padding: "x".repeat(MAX_MESSAGE_BYTES) }), field: "(root)", oversized: true, target: false },

  // Hostile strings in names, and bodies that would be quoted back into logs.
  { label: "not JSON, forging a log line", text: "oops\nERROR flowdeploy: deployment approved", field: "(root)", says: /not valid JSON/, target: false },
  { label: "not JSON, ANSI escapes", text: "\u001b[2J\u001b[31mdeploy", field: "(root)", says: /not valid JSON/, target: false },
  { label: "an unknown field named with a right-to-left override", json: req((r) => (r["\u202Eevil"] = 1)), field: "(root)", says: /unknown field "\\u202eevil"/ },
  { label: "endpoint name with path traversal", json: set("endpoint.name", "../../subscriptions"), field: "endpoint.name" },
  { label: "endpoint name with markup", json: set("endpoint.name", "<script>alert(1)</script>"), field: "endpoint.name" },
  { label: "endpoint name forging a log line", json: set("endpoint.name", "ok\nERROR flowdeploy: forged"), field: "endpoint.name" },
  { label: "endpoint name with ANSI escapes", json: set("endpoint.name", "\u001b[2J\u001b[31mred"), field: "endpoint.name" },
  { label: "deployment name with Cyrillic homoglyphs", json: set("deployment.name", "gr\u0435\u0435n"), field: "deployment.name" },
  { label: "deployment name with a right-to-left override", json: set("deployment.name", "\u202Egreen"), field: "deployment.name" },
  { label: "deployment name with a NUL byte", json: set("deployment.name", "gr\u0000een"), field: "deployment.name" },
  { label: "deployment name ending with a hyphen", json: set("deployment.name", "green-"), field: "deployment.name" },
  { label: "deployment name of 33 characters", json: set("deployment.name", `g${"r".repeat(32)}`), field: "deployment.name" },
  { label: "workspace name with a shell command", json: set("workspace.name", "ws; rm -rf /"), field: "workspace.name" },
  { label: "resource group escaping the ARM path", json: set("workspace.resourceGroup", "rg/../../other"), field: "workspace.resourceGroup" },
  { label: "subscription id smuggling a path", json: set("workspace.subscriptionId", "00000000-1111-2222-3333-444444444444/resourceGroups/x"), field: "workspace.subscriptionId" },
  { label: "flow name with command substitution", json: set("flow.name", "$(whoami)"), field: "flow.name" },
  { label: "model name with path traversal", json: req((r) => { delete r["flow"]; r["model"] = { name: "../models/other", version: "1" }; }), field: "model.name" },
  { label: "model version with a slash", json: req((r) => { delete r["flow"]; r["model"] = { name: "web-classification", version: "1/../2" }; }), field: "model.version" },
  { label: "requestId with SQL injection", json: set("requestId", "' OR 1=1 --"), field: "requestId", target: false },
  { label: "requestId with non-ASCII letters", json: set("requestId", "請求-1"), field: "requestId", target: false },
  { label: "environment variable name with '='", json: set("deployment.environmentVariables", { "PATH=/evil": "x" }), field: 'deployment.environmentVariables["PATH=/evil"]', says: /environment variable names/ },
  { label: "overriding PROMPTFLOW_RUN_MODE", json: set("deployment.environmentVariables", { PROMPTFLOW_RUN_MODE: "debug" }), field: "deployment.environmentVariables.PROMPTFLOW_RUN_MODE", says: /set by flowdeploy/ },
  { label: "overriding AZURE_CLIENT_ID", json: set("deployment.environmentVariables", { AZURE_CLIENT_ID: "00000000-0000-0000-0000-000000000000" }), field: "deployment.environmentVariables.AZURE_CLIENT_ID" },
  { label: "a __proto__ field (prototype pollution)", text: JSON.stringify(sampleRequest()).replace(/^\{/, '{"__proto__":{"polluted":true},'), field: "(root)", says: /unknown field "__proto__"/ },
  { label: "a constructor.prototype field", text: JSON.stringify(sampleRequest()).replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},'), field: "(root)", says: /unknown field "constructor"/ },

  // Unknown schema versions.
  { label: "schemaVersion 2", json: set("schemaVersion", "2"), field: "schemaVersion", says: /unsupported schema version "2"/, target: false },
  { label: "schemaVersion 1.0", json: set("schemaVersion", "1.0"), field: "schemaVersion", says: /unsupported schema version/, target: false },
  { label: "schemaVersion null", json: set("schemaVersion", null), field: "schemaVersion", target: false },

  // Envelopes of the wrong kind.
  { label: "a BulkTestPassed CloudEvent sent as a request", json: SAMPLE_EVENT(), field: "(root)", says: /unknown fields "specversion"/, target: false },
  { label: "an Event Grid delivery (array) sent as a request", json: [SAMPLE_EVENT()], field: "(root)", target: false },
  { label: "a deploy target without its requestId", json: SAMPLE_EVENT()["data"].deploy, field: "requestId", says: /required/, target: false },
  {
    label: "a notification sent as a request",
    json: { schemaVersion: "1", outcome: "Succeeded", requestId: "r-1", instanceId: null, workspace: null, endpoint: null, deployment: null, model: null, traffic: {}, stages: [], error: null, startedAt: "2026-11-23T10:00:00Z", endedAt: "2026-11-23T10:00:00Z" },
    field: "(root)",
    says: /unknown fields "outcome"/,
    target: false,
  },
];

/** A BulkTestPassed event (CloudEvents) whose data.deploy is a corpus entry's request minus its requestId. */
export function wrapAsEvent(entry: BadInput, id: string): unknown {
  const event = SAMPLE_EVENT();
  const { requestId: _drop, ...target } = (entry.json ?? JSON.parse(entry.text!)) as Record<string, unknown>;
  event["id"] = id;
  event["data"].deploy = target;
  return event;
}

export const eventField = (field: string) => (field === "(root)" ? "data.deploy" : `data.deploy.${field}`);

/** Whole events whose envelope or data are wrong (for the webhook and `validate --kind event`). */
export const EVENT_CORPUS: BadInput[] = [
  { label: "a deploy request posted as an event", json: sampleRequest(), field: "(root)", says: /not an event/ },
  { label: "an event that is a number", json: 42, field: "(root)" },
  { label: "CloudEvents specversion 0.3", json: { ...SAMPLE_EVENT(), specversion: "0.3" }, field: "specversion" },
  { label: "CloudEvent without id", json: (({ id: _i, ...e }) => e)(SAMPLE_EVENT()), field: "id", says: /required/ },
  { label: "CloudEvent without source", json: (({ source: _s, ...e }) => e)(SAMPLE_EVENT()), field: "source", says: /required/ },
  { label: "an unknown event type", json: { ...SAMPLE_EVENT(), type: "Contoso.Widget.Created" }, field: "type", says: /unsupported event type/ },
  { label: "Event Grid schema without subject", json: { id: "eg-1", eventType: "PromptFlow.BulkTestPassed", eventTime: "2026-11-23T10:00:00Z", data: SAMPLE_EVENT()["data"], dataVersion: "1" }, field: "subject" },
  { label: "Event Grid schema with a bad eventTime", json: { id: "eg-2", subject: "s", eventType: "PromptFlow.BulkTestPassed", eventTime: "yesterday", data: SAMPLE_EVENT()["data"], dataVersion: "1" }, field: "eventTime" },
  { label: "BulkTestPassed with data null", json: { ...SAMPLE_EVENT(), data: null }, field: "data" },
  { label: "BulkTestPassed data schemaVersion 2", json: ((e) => ((e["data"].schemaVersion = "2"), e))(SAMPLE_EVENT()), field: "data.schemaVersion", says: /unsupported schema version/ },
  { label: "a bulk-test run id with spaces", json: ((e) => ((e["data"].bulkTestRunId = "run 1; drop"), e))(SAMPLE_EVENT()), field: "data.bulkTestRunId" },
  { label: "a metric below its threshold", json: ((e) => ((e["data"].metrics.accuracy = 0.5), e))(SAMPLE_EVENT()), field: "data.metrics.accuracy", says: /below the minimum/ },
  { label: "a threshold on a missing metric", json: ((e) => ((e["data"].thresholds.recall = 0.8), e))(SAMPLE_EVENT()), field: "data.metrics.recall", says: /missing/ },
  { label: "a metric as a string", json: ((e) => ((e["data"].metrics.accuracy = "0.92"), e))(SAMPLE_EVENT()), field: "data.metrics.accuracy" },
  { label: "no deploy target", json: ((e) => (delete e["data"].deploy, e))(SAMPLE_EVENT()), field: "data.deploy", says: /required/ },
  { label: "a deploy target carrying a requestId", json: ((e) => ((e["data"].deploy.requestId = "mine"), e))(SAMPLE_EVENT()), field: "data.deploy", says: /unknown field "requestId"/ },
  {
    label: "a tagged RunCompleted whose request tag is not JSON",
    json: ((e) => ((e["source"] = WORKSPACE_ID), (e["data"].runTags = { "flowdeploy.passed": "true", "flowdeploy.request": "{not json" }), e))(RUN_COMPLETED()),
    field: 'data.runTags["flowdeploy.request"]',
    says: /not valid JSON/,
  },
  {
    label: "a tagged RunCompleted for another workspace",
    json: ((e) => {
      e["source"] = WORKSPACE_ID;
      const { requestId: _r, ...target } = sampleRequest();
      e["data"].runTags = { "flowdeploy.passed": "true", "flowdeploy.request": JSON.stringify({ ...target, workspace: { ...target["workspace"], name: "ws-other" } }) };
      return e;
    })(RUN_COMPLETED()),
    field: 'data.runTags["flowdeploy.request"].workspace',
    says: /does not match/,
  },
  {
    label: "a tagged RunCompleted without runId",
    json: ((e) => ((e["source"] = WORKSPACE_ID), delete e["data"].runId, (e["data"].runTags = { "flowdeploy.passed": "true", "flowdeploy.request": "{}" }), e))(RUN_COMPLETED()),
    field: "data.runId",
    says: /required/,
  },
  { label: "a deploy target whose smoke-test input nests 10,000 levels deep", text: deeplyNested(JSON.stringify(SAMPLE_EVENT())), field: "data.deploy.smokeTest.input", says: /deeper than/ },
  { label: "a subscription validation event sent as a notification", json: { id: "v-1", subject: "", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent", eventTime: "2026-11-23T10:00:00Z", data: { validationCode: "x" }, dataVersion: "1" }, field: "eventType", says: /unsupported event type/ },
];
