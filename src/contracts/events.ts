import { createHash } from "node:crypto";
import { z } from "zod";
import { describe, isoTimestamp, requiredOr, SchemaVersion, workspaceResourceId, type WorkspaceRef } from "./common";
import { DeployRequest, DeployTarget, requestFromTarget } from "./deployRequest";
import { toFieldIssues, type FieldIssue } from "./issues";

/** Our own event, published by a bulk-test pipeline when a flow passed its evaluation. */
export const BULK_TEST_PASSED = "PromptFlow.BulkTestPassed";
/** Azure ML's system event for a finished run (Event Grid source Microsoft.MachineLearningServices.Workspaces). */
export const AML_RUN_COMPLETED = "Microsoft.MachineLearningServices.RunCompleted";
const AML_EVENT_PREFIX = "Microsoft.MachineLearningServices.";
/** Run tags that opt an Azure ML run into deployment: the run passed, and the target as JSON. */
export const TAG_PASSED = "flowdeploy.passed";
export const TAG_REQUEST = "flowdeploy.request";

/**
 * A metric's bound: a number is a minimum; {min?, max?} also allows "lower is better" metrics. A
 * range whose min is above its max could never be met: refused, rather than failing every event.
 */
export const Threshold = z.union(
  [
    z.number(),
    z
      .strictObject({ min: z.number({ error: requiredOr("a number") }).optional(), max: z.number({ error: requiredOr("a number") }).optional() })
      .refine((t) => t.min !== undefined || t.max !== undefined, "give min, max or both")
      .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, {
        path: ["min"],
        error: (issue) => {
          const t = issue.input as { min: number; max: number };
          return `min ${t.min} is above max ${t.max}: no value can meet both (for a lower-is-better metric give only max)`;
        },
      }),
  ],
  { error: requiredOr("a number (the minimum) or {min?, max?}") },
);
export type Threshold = z.infer<typeof Threshold>;

/** The fields of a passed bulk test's data, before its own thresholds are applied. */
const BulkTestPassedFields = z
  .strictObject({
    schemaVersion: SchemaVersion,
    bulkTestRunId: z
      .string({ error: requiredOr("a string") })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "run ids hold letters, digits, '.', '_' and '-' (at most 100)"),
    evaluationRunId: z.string({ error: requiredOr("a string") }).max(100, "at most 100 characters").optional(),
    metrics: z.record(z.string(), z.number({ error: requiredOr("a number") })).optional(),
    thresholds: z.record(z.string(), Threshold).optional(),
    deploy: DeployTarget,
  });

export const BulkTestPassedData = BulkTestPassedFields.superRefine((data, ctx) => {
  for (const failure of failedThresholds(data.metrics ?? {}, data.thresholds ?? {})) {
    ctx.addIssue({ code: "custom", path: ["metrics", failure.metric], message: failure.message });
  }
});
export type BulkTestPassedData = z.infer<typeof BulkTestPassedData>;

/** Every threshold a metric set does not meet, each with a sentence naming the metric. */
export function failedThresholds(metrics: Record<string, number>, thresholds: Record<string, Threshold>): { metric: string; message: string }[] {
  const failures: { metric: string; message: string }[] = [];
  for (const [metric, threshold] of Object.entries(thresholds)) {
    const value = metrics[metric];
    const bound = typeof threshold === "number" ? { min: threshold, max: undefined } : threshold;
    if (value === undefined) failures.push({ metric, message: `metric ${metric} has a threshold but is missing from the metrics` });
    else if (bound.min !== undefined && value < bound.min) failures.push({ metric, message: `${metric} = ${value} is below the minimum ${bound.min}` });
    else if (bound.max !== undefined && value > bound.max) failures.push({ metric, message: `${metric} = ${value} is above the maximum ${bound.max}` });
  }
  return failures;
}

/**
 * The two envelopes Event Grid delivers, normalised. Key casing varies between real payloads (the
 * CloudEvents fixtures spell `specVersion`), so envelope keys are matched case-insensitively.
 */
export interface EventEnvelope {
  schema: "eventgrid" | "cloudevents";
  id: string;
  type: string;
  /** Event Grid `topic` or CloudEvents `source`. */
  source: string | undefined;
  subject: string | undefined;
  time: string | undefined;
  data: unknown;
}

const EventGridEnvelope = z.object({
  id: z.string({ error: requiredOr("a string") }).min(1, "required"),
  topic: z.string().optional(),
  subject: z.string({ error: requiredOr("a string") }),
  eventtype: z.string({ error: requiredOr("a string") }).min(1, "required"),
  eventtime: isoTimestamp,
  data: z.unknown(),
  dataversion: z.string().optional(),
});

const CloudEventEnvelope = z.object({
  id: z.string({ error: requiredOr("a string") }).min(1, "required"),
  source: z.string({ error: requiredOr("a string") }).min(1, "required"),
  specversion: z.literal("1.0", { error: (i) => (i.input === undefined ? "required" : 'only CloudEvents "1.0" is supported') }),
  type: z.string({ error: requiredOr("a string") }).min(1, "required"),
  subject: z.string().optional(),
  time: isoTimestamp.optional(),
  data: z.unknown(),
});

export type EventClassification =
  | { outcome: "accepted"; envelope: EventEnvelope; request: DeployRequest; bulkTestRunId: string; evaluation?: { metrics: Record<string, number>; thresholds: Record<string, Threshold> } }
  | { outcome: "ignored"; envelope: EventEnvelope; reason: string }
  /** `request`: the deployment a well-formed event asked for, when only its own thresholds refused it (kept in the Rejected notification). */
  | { outcome: "rejected"; envelope: EventEnvelope | undefined; issues: FieldIssue[]; request?: DeployRequest };

/**
 * Decides what an Event Grid delivery means for us: a deploy request (a passed bulk test, or an Azure
 * ML run tagged for deployment), nothing (any other Azure ML event, an untagged run), or a rejection
 * naming every bad field. Never throws for bad input.
 */
export function classifyEvent(raw: unknown): EventClassification {
  const parsedEnvelope = parseEnvelope(raw);
  if ("issues" in parsedEnvelope) return { outcome: "rejected", envelope: undefined, issues: parsedEnvelope.issues };
  const envelope = parsedEnvelope.envelope;

  if (envelope.type === BULK_TEST_PASSED) return classifyBulkTestPassed(envelope);
  if (envelope.type === AML_RUN_COMPLETED) return classifyRunCompleted(envelope);
  if (envelope.type.startsWith(AML_EVENT_PREFIX)) {
    return { outcome: "ignored", envelope, reason: `${envelope.type} events do not trigger deployments` };
  }
  return {
    outcome: "rejected",
    envelope,
    issues: [{ path: [envelope.schema === "eventgrid" ? "eventType" : "type"], message: `unsupported event type ${JSON.stringify(envelope.type)}; expected ${BULK_TEST_PASSED} or ${AML_RUN_COMPLETED}` }],
  };
}

function parseEnvelope(raw: unknown): { envelope: EventEnvelope } | { issues: FieldIssue[] } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { issues: [{ path: [], message: "expected an Event Grid or CloudEvents 1.0 event object" }] };
  }
  const keys = lowerCaseKeys(raw as Record<string, unknown>);
  if ("specversion" in keys) {
    const data = cloudEventData(keys);
    const ce = CloudEventEnvelope.safeParse("issues" in data ? keys : { ...keys, data: data.value });
    // Bad data_base64 is the problem with the data, not a missing `data`.
    if ("issues" in data) return { issues: [...(ce.success ? [] : toFieldIssues(ce.error.issues).filter((i) => i.path[0] !== "data")), ...data.issues] };
    if (!ce.success) return { issues: toFieldIssues(ce.error.issues) };
    const e = ce.data;
    return { envelope: { schema: "cloudevents", id: e.id, type: e.type, source: e.source, subject: e.subject, time: e.time, data: e.data } };
  }
  if ("eventtype" in keys) {
    const eg = EventGridEnvelope.safeParse(keys);
    if (!eg.success) return { issues: toFieldIssues(eg.error.issues).map(eventGridIssue) };
    const e = eg.data;
    return { envelope: { schema: "eventgrid", id: e.id, type: e.eventtype, source: e.topic, subject: e.subject, time: e.eventtime, data: e.data } };
  }
  return { issues: [{ path: [], message: "not an event: expected an Event Grid event (eventType, data, ...) or a CloudEvent (specversion, type, ...)" }] };
}

/**
 * A CloudEvent's data. The JSON event format carries binary data base64-encoded in `data_base64`
 * instead of `data`, the two never together (CloudEvents JSON Event Format 1.0, §3.1 "Handling of
 * data"; cloudevents/spec, json-format.md: "use of the data and data_base64 members is mutually
 * exclusive", and data_base64 "MUST" be decoded into binary on deserialization). A
 * producer may send our JSON data that way: it is decoded (base64, RFC 4648 §4 → UTF-8 → JSON) and
 * read as if it came in `data`. Data of another declared content type is not ours to read.
 */
function cloudEventData(keys: Record<string, unknown>): { value: unknown } | { issues: FieldIssue[] } {
  if (!("data_base64" in keys) || keys["data_base64"] === null) return { value: keys["data"] };
  const encoded = keys["data_base64"];
  if (keys["data"] !== undefined && keys["data"] !== null) {
    return { issues: [{ path: ["data_base64"], message: "give data or data_base64, not both (CloudEvents JSON format §3.1)" }] };
  }
  const contentType = keys["datacontenttype"];
  if (contentType !== undefined && contentType !== null && !isJsonContentType(contentType)) {
    return { issues: [{ path: ["datacontenttype"], message: "data_base64 is read as JSON here: expected application/json or a +json type" }] };
  }
  if (typeof encoded !== "string") return { issues: [{ path: ["data_base64"], message: `expected a base64 string, received ${describe(encoded)}` }] };
  if (!BASE64.test(encoded)) return { issues: [{ path: ["data_base64"], message: "is not base64 (RFC 4648: A-Z, a-z, 0-9, '+', '/', '=' padding)" }] };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(encoded, "base64"));
  } catch {
    return { issues: [{ path: ["data_base64"], message: "does not decode to UTF-8 text" }] };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { issues: [{ path: ["data_base64"], message: "does not decode to JSON" }] };
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `application/json`, `text/json` or any `+json` type, parameters (`; charset=utf-8`) allowed. */
function isJsonContentType(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const type = value.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || type === "text/json" || /^[a-z0-9!#$&^_.-]+\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

const EVENT_GRID_KEYS: Record<string, string> = { eventtype: "eventType", eventtime: "eventTime", dataversion: "dataVersion" };
const eventGridIssue = (i: FieldIssue): FieldIssue => ({ ...i, path: i.path.map((p) => (typeof p === "string" ? (EVENT_GRID_KEYS[p] ?? p) : p)) });

function classifyBulkTestPassed(envelope: EventEnvelope): EventClassification {
  const data = BulkTestPassedFields.safeParse(envelope.data);
  if (!data.success) return rejected(envelope, data.error.issues, ["data"]);
  const requestId = `bulktest-${sourceKey(envelope.source)}-${data.data.bulkTestRunId}`;
  const request = requestFromTarget(data.data.deploy, requestId);
  // A well-formed event whose metrics miss its own thresholds names its request, workspace and
  // endpoint: the Rejected notification keeps them so `watch --request-id` and routing see it.
  const failed = failedThresholds(data.data.metrics ?? {}, data.data.thresholds ?? {});
  if (failed.length > 0) return { outcome: "rejected", envelope, request, issues: failed.map((f) => ({ path: ["data", "metrics", f.metric], message: f.message })) };
  return {
    outcome: "accepted",
    envelope,
    request,
    bulkTestRunId: data.data.bulkTestRunId,
    evaluation: { metrics: data.data.metrics ?? {}, thresholds: data.data.thresholds ?? {} },
  };
}

/**
 * A short digest of the event's source (Event Grid topic or CloudEvents source, compared ignoring
 * case) in the request id: the same run id published by another source is another request, so a
 * forged event cannot take a future run's request id (and with it that run's one deployment).
 */
export function sourceKey(source: string | undefined): string {
  return createHash("sha256").update((source ?? "").toLowerCase(), "utf8").digest("hex").slice(0, 12);
}

/**
 * Azure ML's RunCompleted is mapped through run tags: `flowdeploy.passed = "true"` and
 * `flowdeploy.request` holding the deploy target as JSON. The workspace may be left out of the tag:
 * it is the event's source.
 *
 * Azure ML raises RunCompleted "when a Run has been successfully completed" and its documented data
 * has no status (Event Grid's Azure Machine Learning event schema,
 * https://learn.microsoft.com/azure/event-grid/event-schema-machine-learning;
 * MachineLearningServicesRunCompletedEventData in @azure/eventgrid). The run's status travels as
 * `runStatus` in RunStatusChanged (test/fixtures/azure/eventgrid.RunStatusChanged.json: "failed"),
 * and Azure ML's run states are NotStarted … Completed, Failed, Canceled (azureml-core RunStatus).
 * So an event that does carry a `runStatus` (or `status`) other than Completed (any case) was not a
 * successful run, whatever its type says: it is ignored, never deployed.
 */
export const AML_COMPLETED_RUN_STATUS = "completed";

function classifyRunCompleted(envelope: EventEnvelope): EventClassification {
  if (typeof envelope.data !== "object" || envelope.data === null) {
    return { outcome: "rejected", envelope, issues: [{ path: ["data"], message: "expected the run's data object" }] };
  }
  const data = lowerCaseKeys(envelope.data as Record<string, unknown>);
  const runId = typeof data["runid"] === "string" ? data["runid"] : undefined;
  const status = data["runstatus"] ?? data["status"];
  if (status !== undefined && status !== null && String(status).toLowerCase() !== AML_COMPLETED_RUN_STATUS) {
    const shown = typeof status === "string" ? JSON.stringify(status.slice(0, 40)) : describe(status);
    return { outcome: "ignored", envelope, reason: `run ${runId ?? "(no id)"} has status ${shown}, not Completed: only successfully completed runs deploy` };
  }
  const tags = typeof data["runtags"] === "object" && data["runtags"] !== null ? lowerCaseKeys(data["runtags"] as Record<string, unknown>) : {};
  if (String(tags[TAG_PASSED] ?? "").toLowerCase() !== "true") {
    return { outcome: "ignored", envelope, reason: `run ${runId ?? "(no id)"} is not tagged ${TAG_PASSED}=true` };
  }
  if (!runId) return { outcome: "rejected", envelope, issues: [{ path: ["data", "runId"], message: "required" }] };
  const tagPath = ["data", "runTags", TAG_REQUEST];
  const rawTarget = tags[TAG_REQUEST];
  if (typeof rawTarget !== "string") return { outcome: "rejected", envelope, issues: [{ path: tagPath, message: "required: the deploy target as JSON" }] };
  let target: unknown;
  try {
    target = JSON.parse(rawTarget);
  } catch {
    return { outcome: "rejected", envelope, issues: [{ path: tagPath, message: "is not valid JSON" }] };
  }
  // The publisher is the workspace: a source that is not a workspace id proves nothing (fail closed).
  const sourceWorkspace = workspaceFromResourceId(envelope.source);
  if (!sourceWorkspace) {
    return { outcome: "rejected", envelope, issues: [{ path: [envelope.schema === "eventgrid" ? "topic" : "source"], message: "expected the resource id of the Azure ML workspace that published the run" }] };
  }
  if (typeof target === "object" && target !== null && !Array.isArray(target) && !("workspace" in target) && sourceWorkspace) {
    target = { ...target, workspace: sourceWorkspace };
  }
  const parsed = DeployTarget.safeParse(target);
  if (!parsed.success) return rejected(envelope, parsed.error.issues, tagPath);
  if (workspaceResourceId(parsed.data.workspace).toLowerCase() !== workspaceResourceId(sourceWorkspace).toLowerCase()) {
    return { outcome: "rejected", envelope, issues: [{ path: [...tagPath, "workspace"], message: "does not match the workspace that published the event" }] };
  }
  const request = DeployRequest.safeParse(requestFromTarget(parsed.data, `amlrun-${sourceKey(envelope.source)}-${runId}`));
  if (!request.success) return rejected(envelope, request.error.issues, ["data"]);
  return { outcome: "accepted", envelope, request: request.data, bulkTestRunId: runId };
}

function rejected(envelope: EventEnvelope, issues: z.core.$ZodIssue[], prefix: (string | number)[]): EventClassification {
  return { outcome: "rejected", envelope, issues: toFieldIssues(issues).map((i) => ({ ...i, path: [...prefix, ...i.path] })) };
}

const WORKSPACE_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)$/i;

/** The workspace named by an ARM resource id, when it is one with real (not placeholder) parts. */
export function workspaceFromResourceId(id: string | undefined): WorkspaceRef | undefined {
  const m = id ? WORKSPACE_ID.exec(id) : null;
  if (!m || [m[1], m[2], m[3]].some((part) => !part || part.includes("{"))) return undefined;
  return { subscriptionId: m[1]!, resourceGroup: m[2]!, name: m[3]! };
}

function lowerCaseKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k.toLowerCase()] = v;
  return out;
}
