import { resourceKey } from "./ids";
import type { Scenario } from "./scenario";
import type { EndpointRecord, SimState } from "./stateStore";

/**
 * What Azure Monitor's online-endpoint metrics are made of here: every scoring call the simulator
 * answered for a deployment (time on the simulated clock, the deployment that served it, its status,
 * the model's status and the latency it reports), kept per minute — mirrored copies included; the
 * traffic split and the mirror split in force over time (synthetic load routes by them); and the
 * scenario's `scoringBehaviour` and `load`.
 *
 * Kept in the state (so a state file carries it) under optional keys: older state files have none.
 */

/** Latency an answer reports when the scenario gives its deployment none, in milliseconds. */
export const DEFAULT_SCORING_LATENCY_MS = 120;

/** Azure Monitor keeps platform metrics 93 days (Azure Monitor data retention); older minutes are dropped. */
export const METRICS_RETENTION_MS = 93 * 24 * 3600 * 1000;

const MINUTE_MS = 60_000;

export interface ScoringBehaviour {
  deployment: string;
  endpoint?: string;
  errorRatePercent?: number;
  latencyMs?: number;
  /** Above this share of the endpoint's traffic, answers report this latency instead (scenario.ts). */
  latencyAboveShare?: { sharePercent: number; latencyMs: number };
}

/** One minute of one deployment's answers. */
export interface ScoringMinute {
  /** Start of the minute (ISO). */
  minute: string;
  endpointKey: string;
  deployment: string;
  /** `"<status>/<model status>"` → answers (model status "" when the model gave none). */
  answers: Record<string, number>;
  /** Reported latency in ms → answers. */
  latencies: Record<string, number>;
}

export interface TrafficChange {
  at: string;
  traffic: Record<string, number>;
}

export interface MirrorChange {
  at: string;
  mirror: Record<string, number>;
}

export interface TelemetryState extends SimState {
  scoringBehaviour?: ScoringBehaviour[];
  load?: { requestsPerMinute: number; endpoint?: string; servedUntil: string };
  /** Keyed `<minute>|<endpoint key>|<deployment lower-case>`. */
  scoringMinutes?: Record<string, ScoringMinute>;
  /** Per endpoint key: the routed traffic split, from when it took effect. */
  trafficHistory?: Record<string, TrafficChange[]>;
  /** Per endpoint key: the mirror split (`mirrorTraffic`) the front end copies by, from when it took effect. */
  mirrorHistory?: Record<string, MirrorChange[]>;
  /** Calls answered per behaviour (endpoint key|deployment), to spread its errors evenly. */
  behaviourCalls?: Record<string, number>;
}

export function minuteStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);
}

/** Stores the scenario's scoring behaviour and synthetic load; load starts at the first whole minute. */
export function seedTelemetry(state: SimState, scenario: Scenario | undefined, now: Date): void {
  const t = state as TelemetryState;
  t.scoringBehaviour = (scenario?.scoringBehaviour ?? []).map((b) => ({ ...b, ...(b.latencyAboveShare ? { latencyAboveShare: { ...b.latencyAboveShare } } : {}) }));
  if (scenario?.load) {
    const first = new Date(Math.ceil(now.getTime() / MINUTE_MS) * MINUTE_MS);
    t.load = { ...scenario.load, servedUntil: first.toISOString() };
  }
}

export function behaviourFor(state: SimState, endpointName: string, deployment: string): ScoringBehaviour | undefined {
  const same = (a: string | undefined, b: string) => a === undefined || a.toLowerCase() === b.toLowerCase();
  return (state as TelemetryState).scoringBehaviour?.find((b) => same(b.deployment, deployment) && same(b.endpoint, endpointName));
}

/**
 * The latency an answer of `deployment` reports at `at`: `latencyAboveShare.latencyMs` while the
 * deployment's share of the endpoint's traffic is above `sharePercent`, else `latencyMs` (default 120).
 */
export function latencyFor(state: SimState, endpoint: EndpointRecord, deployment: string, at: Date): number {
  const behaviour = behaviourFor(state, endpoint.name, deployment);
  const above = behaviour?.latencyAboveShare;
  if (above && trafficShareAt(state, endpoint, deployment, at) > above.sharePercent) return above.latencyMs;
  return behaviour?.latencyMs ?? DEFAULT_SCORING_LATENCY_MS;
}

/**
 * The share of the endpoint's calls `deployment` serves at `at`, in percent: its live percent of the
 * split in force plus its mirror percent. A mirrored copy is a call the deployment really serves (the
 * safe-rollout how-to: the mirrored percentage of live traffic "is copied and submitted" to it), so it
 * loads the deployment as a live call does. Routing is exact (routeByTraffic), so this is also the
 * share of the minute's routed calls the deployment serves.
 */
export function trafficShareAt(state: SimState, endpoint: EndpointRecord, deployment: string, at: Date): number {
  const key = resourceKey(endpoint.id);
  const percentOf = (split: Record<string, number>) => Object.entries(split).find(([name]) => name.toLowerCase() === deployment.toLowerCase())?.[1] ?? 0;
  return percentOf(trafficAt(state, key, at, endpoint.effectiveTraffic)) + percentOf(mirrorAt(state, key, at, endpoint.mirrorTraffic ?? {}));
}

/**
 * Whether this call is one of the behaviour's failures: call n (from 0) fails when
 * ⌊(n+1)·p/100⌋ > ⌊n·p/100⌋, so exactly p% of every 100 calls fail, evenly spread, and the first call
 * (a smoke test) succeeds unless p is 100.
 */
export function takeBehaviourFailure(state: SimState, endpointKey: string, endpointName: string, deployment: string): boolean {
  const rate = behaviourFor(state, endpointName, deployment)?.errorRatePercent ?? 0;
  if (rate <= 0) return false;
  const calls = ((state as TelemetryState).behaviourCalls ??= {});
  const key = `${endpointKey}|${deployment.toLowerCase()}`;
  const n = calls[key] ?? 0;
  calls[key] = n + 1;
  return Math.floor(((n + 1) * rate) / 100) > Math.floor((n * rate) / 100);
}

export interface ScoredCall {
  endpointKey: string;
  deployment: string;
  at: Date;
  status: number;
  /** The model container's status: 200, or the `ms-azureml-model-error-statuscode` of a 424; undefined when the model gave none. */
  modelStatus?: number;
  latencyMs: number;
}

/** Records one answered call in its minute (what the metrics are computed from). */
export function recordScoredCall(state: SimState, call: ScoredCall): void {
  const minutes = ((state as TelemetryState).scoringMinutes ??= {});
  const minute = minuteStart(call.at).toISOString();
  const key = `${minute}|${call.endpointKey}|${call.deployment.toLowerCase()}`;
  const m = (minutes[key] ??= { minute, endpointKey: call.endpointKey, deployment: call.deployment, answers: {}, latencies: {} });
  const answer = `${call.status}/${call.modelStatus ?? ""}`;
  m.answers[answer] = (m.answers[answer] ?? 0) + 1;
  const latency = String(call.latencyMs);
  m.latencies[latency] = (m.latencies[latency] ?? 0) + 1;
}

/** The recorded minutes of one endpoint in [from, to). */
export function scoringMinutesOf(state: SimState, endpointKey: string, from: Date, to: Date): ScoringMinute[] {
  const all = Object.values((state as TelemetryState).scoringMinutes ?? {});
  return all.filter((m) => {
    const t = new Date(m.minute).getTime();
    return m.endpointKey === endpointKey && t >= from.getTime() && t < to.getTime();
  });
}

/** Drops minutes older than Azure Monitor's retention. */
export function pruneScoringMinutes(state: SimState, now: Date): void {
  const minutes = (state as TelemetryState).scoringMinutes;
  if (!minutes) return;
  const oldest = now.getTime() - METRICS_RETENTION_MS;
  for (const [key, m] of Object.entries(minutes)) if (new Date(m.minute).getTime() < oldest) delete minutes[key];
}

/** Notes the split the scoring front end routes by from `at` (an update's end, not when it was applied). */
export function noteRoutedTraffic(state: SimState, endpointKey: string, at: Date, traffic: Record<string, number>): void {
  const history = ((state as TelemetryState).trafficHistory ??= {});
  const changes = (history[endpointKey] ??= []);
  changes.push({ at: at.toISOString(), traffic: { ...traffic } });
  changes.sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
}

/** Forgets a deleted endpoint's traffic and mirror history and its mirror round-robin counters. */
export function forgetTrafficHistory(state: SimState, endpointKey: string): void {
  const t = state as TelemetryState;
  if (t.trafficHistory) delete t.trafficHistory[endpointKey];
  if (t.mirrorHistory) delete t.mirrorHistory[endpointKey];
  delete state.routing[mirrorCounterKey(endpointKey)];
  delete state.routing[mirrorCounterKey(`${endpointKey}#synthetic-load`)];
}

/** Where the round-robin counters of a router's mirror decisions live (`state.routing`). */
export function mirrorCounterKey(routerKey: string): string {
  return `${routerKey}#mirror`;
}

/**
 * Starts an endpoint's mirror history, if it has none, with the split in force since `since` (a seeded
 * endpoint, or one from a state file written before the history was kept): from then on the history,
 * not the endpoint's `mirrorTraffic` (what the last PUT asked for), says what the front end copies by.
 */
export function startMirrorHistory(state: SimState, endpointKey: string, since: Date, mirror: Record<string, number>): void {
  const history = ((state as TelemetryState).mirrorHistory ??= {});
  if ((history[endpointKey] ?? []).length === 0) history[endpointKey] = [{ at: since.toISOString(), mirror: { ...mirror } }];
}

/** Notes the mirror split the front end copies by from `at` (an endpoint update's end). */
export function noteMirrorTraffic(state: SimState, endpointKey: string, at: Date, mirror: Record<string, number>): void {
  const history = ((state as TelemetryState).mirrorHistory ??= {});
  const changes = (history[endpointKey] ??= []);
  changes.push({ at: at.toISOString(), mirror: { ...mirror } });
  changes.sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
}

/**
 * The mirror split in force at `at`: the latest change at or before it. An endpoint with no mirror
 * history (seeded, or from a state file written before it was kept) copies by its current `mirrorTraffic`.
 */
export function mirrorAt(state: SimState, endpointKey: string, at: Date, current: Record<string, number>): Record<string, number> {
  const changes = (state as TelemetryState).mirrorHistory?.[endpointKey];
  if (!changes || changes.length === 0) return current;
  let found: Record<string, number> = {};
  for (const c of changes) {
    if (new Date(c.at).getTime() <= at.getTime()) found = c.mirror;
    else break;
  }
  return found;
}

/**
 * The split in force at `at`: the latest change at or before it. An endpoint with no history (a state
 * file written before it was kept) routes by its current split.
 */
export function trafficAt(state: SimState, endpointKey: string, at: Date, current: Record<string, number>): Record<string, number> {
  const changes = (state as TelemetryState).trafficHistory?.[endpointKey];
  if (!changes || changes.length === 0) return current;
  let found: Record<string, number> = {};
  for (const c of changes) {
    if (new Date(c.at).getTime() <= at.getTime()) found = c.traffic;
    else break;
  }
  return found;
}
