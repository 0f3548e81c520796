import { BULK_TEST_PASSED, failedThresholds, type EventClassification, type Threshold } from "../contracts/events";
import type { FieldIssue } from "../contracts/issues";
import { EVENT_MAX_FUTURE_MINUTES, type IntakePolicy } from "./policy";

/** What the rules read of an event: its envelope, and for a passed bulk test its metrics and thresholds. */
type Accepted = Pick<Extract<EventClassification, { outcome: "accepted" }>, "envelope"> & Partial<Pick<Extract<EventClassification, { outcome: "accepted" }>, "evaluation">>;

export type EventRejectionCode = "EventSourceNotAllowed" | "EventTooOld" | "GateFailed";

/**
 * The server's rules for an event that parsed (docs/security.md, rows E1-E4): where it may come
 * from, when it may have been sent, and the quality gates a passed bulk test must meet. An event can
 * only tighten a gate; it never vouches for itself.
 */
export function eventPolicyViolation(event: Accepted, policy: IntakePolicy, now: Date): { code: EventRejectionCode; issues: FieldIssue[] } | undefined {
  const source = sourceIssues(event, policy);
  if (source.length > 0) return { code: "EventSourceNotAllowed", issues: source };
  const time = timeIssues(event, policy, now);
  if (time.length > 0) return { code: "EventTooOld", issues: time };
  const gates = gateIssues(event, policy);
  if (gates.length > 0) return { code: "GateFailed", issues: gates };
  return undefined;
}

const ARM_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+(\/[^/]+\/[^/]+)*$/i;

function sourceField(event: Accepted): string {
  return event.envelope.schema === "eventgrid" ? "topic" : "source";
}

function sourceIssues(event: Accepted, policy: IntakePolicy): FieldIssue[] {
  const field = sourceField(event);
  const source = event.envelope.source;
  // RunCompleted: classifyEvent checked that its source is a workspace and is the target; the target
  // workspace must then be in FLOWDEPLOY_ALLOWED_WORKSPACES, like any request's (WorkspaceNotAllowed).
  if (event.envelope.type !== BULK_TEST_PASSED) return [];
  if (policy.allowedEventSources.includes("*")) return [];
  if (!source || !ARM_ID.test(source)) return [{ path: [field], message: "expected the resource id of an Event Grid topic or event source listed in FLOWDEPLOY_ALLOWED_EVENT_SOURCES" }];
  return policy.allowedEventSources.includes(source.toLowerCase()) ? [] : [{ path: [field], message: "this source is not in FLOWDEPLOY_ALLOWED_EVENT_SOURCES" }];
}

function timeIssues(event: Accepted, policy: IntakePolicy, now: Date): FieldIssue[] {
  if (policy.eventMaxAgeMinutes === undefined) return [];
  const field = event.envelope.schema === "eventgrid" ? "eventTime" : "time";
  const time = event.envelope.time ? Date.parse(event.envelope.time) : NaN;
  if (Number.isNaN(time)) return [{ path: [field], message: "required: events without a time are refused" }];
  const ageMinutes = (now.getTime() - time) / 60_000;
  if (ageMinutes > policy.eventMaxAgeMinutes) return [{ path: [field], message: `the event is ${Math.floor(ageMinutes)} minutes old; at most ${policy.eventMaxAgeMinutes} (FLOWDEPLOY_EVENT_MAX_AGE_MINUTES)` }];
  if (-ageMinutes > EVENT_MAX_FUTURE_MINUTES) return [{ path: [field], message: `the event is stamped ${Math.ceil(-ageMinutes)} minutes in the future; at most ${EVENT_MAX_FUTURE_MINUTES}` }];
  return [];
}

function gateIssues(event: Accepted, policy: IntakePolicy): FieldIssue[] {
  if (event.envelope.type !== BULK_TEST_PASSED || !event.evaluation) return [];
  if (policy.gates === undefined) return [{ path: ["data", "metrics"], message: "no quality gates are configured (FLOWDEPLOY_GATES): bulk-test events are refused" }];
  const gates = tightest(policy.gates, event.evaluation.thresholds);
  return failedThresholds(event.evaluation.metrics, gates).map((f) => ({ path: ["data", "metrics", f.metric], message: f.message }));
}

/** The server's gates, each tightened (never loosened) by the event's own thresholds, plus the event's extra ones. */
export function tightest(server: Readonly<Record<string, Threshold>>, event: Readonly<Record<string, Threshold>>): Record<string, Threshold> {
  const bounds = (t: Threshold | undefined) => (t === undefined ? {} : typeof t === "number" ? { min: t } : t);
  const out: Record<string, Threshold> = {};
  for (const metric of new Set([...Object.keys(server), ...Object.keys(event)])) {
    const a = bounds(server[metric]);
    const b = bounds(event[metric]);
    const mins = [a.min, b.min].filter((v): v is number => v !== undefined);
    const maxs = [a.max, b.max].filter((v): v is number => v !== undefined);
    out[metric] = { ...(mins.length ? { min: Math.max(...mins) } : {}), ...(maxs.length ? { max: Math.min(...maxs) } : {}) } as Threshold;
  }
  return out;
}
