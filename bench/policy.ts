/**
 * Poll policy trade-off: ARM calls and history events against how late completion is noticed.
 * Lateness depends on where an operation's end falls between two polls, so each policy runs over a
 * sweep of latencies spread across 60 s (a multiple of every interval compared) and reports the mean
 * and the worst case.
 */
import { DEFAULT_POLL_POLICIES, type PollPolicies } from "../src/contracts/orchestration";
import { deployWithPolicies, round, type DeploymentRun } from "./measure";
import { mixNamed, referenceTimes, type LatencyMix } from "./scenarios";

export interface PolicyRow {
  /** Base latency mix and the latency swept. */
  mix: string;
  sweep: string;
  policy: string;
  isDefault: boolean;
  endpointIntervalSeconds: number;
  deploymentIntervalSeconds: number;
  deploymentIdleIntervalSeconds: number | null;
  runs: number;
  allSucceeded: boolean;
  /** Means over the sweep. */
  armCalls: number;
  deploymentPolls: number;
  endpointPolls: number;
  historyEvents: number;
  replays: number;
  /** Detection time minus the simulator's operation end, for the swept stage (s, simulated): mean and max. */
  detectionLateSeconds: number;
  detectionLateMaxSeconds: number;
  /** Time to live traffic minus the policy lower bound (s, simulated): mean and max. */
  overBoundSeconds: number;
  overBoundMaxSeconds: number;
}

interface Sweep {
  mix: LatencyMix;
  field: "deploymentSeconds" | "endpointSeconds";
  values: number[];
  /** Which detection lateness to report. */
  stage: "deployment" | "endpoint";
}

function sweep(base: string, field: Sweep["field"], from: number, count: number): Sweep {
  const step = 60 / count;
  return { mix: mixNamed(base), field, values: Array.from({ length: count }, (_, i) => Math.round(from + i * step)), stage: field === "deploymentSeconds" ? "deployment" : "endpoint" };
}

interface Variant {
  name: string;
  polls: PollPolicies;
}

function deploymentVariant(interval: number, idle: number | undefined): Variant {
  const { idleIntervalSeconds: _drop, ...base } = DEFAULT_POLL_POLICIES.deployment;
  const deployment = { ...base, intervalSeconds: interval, ...(idle !== undefined ? { idleIntervalSeconds: idle } : {}) };
  return { name: `deployment ${interval}s, ${idle !== undefined ? `idle ${idle}s` : "no idle"}`, polls: { ...DEFAULT_POLL_POLICIES, deployment } };
}

/** Endpoint polls every `interval` s, the first after `first` s (undefined: after `interval`, no separate first wait). */
function endpointVariant(interval: number, first: number | undefined): Variant {
  const { firstDelaySeconds: _drop, ...base } = DEFAULT_POLL_POLICIES.endpoint;
  // Key order as in DEFAULT_POLL_POLICIES, so that isDefault (a JSON comparison) recognizes the default.
  const endpoint = { ...(first !== undefined ? { firstDelaySeconds: first } : {}), ...base, intervalSeconds: interval };
  return { name: first !== undefined ? `endpoint first ${first}s, then ${interval}s` : `endpoint every ${interval}s`, polls: { ...DEFAULT_POLL_POLICIES, endpoint } };
}

async function runRow(s: Sweep, v: Variant): Promise<PolicyRow> {
  const runs: DeploymentRun[] = [];
  const over: number[] = [];
  for (const value of s.values) {
    const mix: LatencyMix = { ...s.mix, [s.field]: value };
    const run = await deployWithPolicies(mix, v.polls);
    runs.push(run);
    over.push(run.timeToTrafficSeconds - referenceTimes(mix).lowerBoundSeconds);
  }
  const mean = (f: (r: DeploymentRun) => number) => round(runs.reduce((a, r) => a + f(r), 0) / runs.length, 1);
  const late = runs.map((r) => (s.stage === "deployment" ? r.deploymentDetectionLateSeconds : r.endpointDetectionLateSeconds));
  return {
    mix: s.mix.name,
    sweep: s.values.length > 1 ? `${s.field} ${s.values[0]}–${s.values.at(-1)} (${s.values.length} runs)` : `${s.field} ${s.values[0]}`,
    policy: v.name,
    isDefault: JSON.stringify(v.polls) === JSON.stringify(DEFAULT_POLL_POLICIES),
    endpointIntervalSeconds: v.polls.endpoint.intervalSeconds,
    deploymentIntervalSeconds: v.polls.deployment.intervalSeconds,
    deploymentIdleIntervalSeconds: v.polls.deployment.idleIntervalSeconds ?? null,
    runs: runs.length,
    allSucceeded: runs.every((r) => r.outcome === "Succeeded"),
    armCalls: mean((r) => r.armCalls),
    deploymentPolls: mean((r) => r.armCallsByOperation["onlineDeployments.get"] ?? 0),
    endpointPolls: mean((r) => r.armCallsByOperation["onlineEndpoints.get"] ?? 0),
    historyEvents: mean((r) => r.historyEvents),
    replays: mean((r) => r.replays),
    detectionLateSeconds: round(late.reduce((a, b) => a + b, 0) / late.length, 1),
    detectionLateMaxSeconds: Math.max(...late),
    overBoundSeconds: round(over.reduce((a, b) => a + b, 0) / over.length, 1),
    overBoundMaxSeconds: Math.max(...over),
  };
}

/**
 * Three comparisons:
 * - existing endpoint, deployment 300–354 s (its grant is old, so every deployment poll's lateness
 *   reaches the time to traffic): deployment interval 15 / 30 / 60 s, without an idle interval, with
 *   120 s and with the default's;
 * - default latencies (the deployment ends before the propagation deadline): the same variants, where
 *   the idle interval saves calls at no cost in time;
 * - default latencies, endpoint 60–114 s: endpoint interval 10 / 15 / 20 s after the default's first
 *   wait, and every 10 / 20 s with no separate first wait (the grant, and so the propagation wait,
 *   starts only when the endpoint's principal is seen).
 */
export async function runPolicyTradeoff(quick: boolean, onRow: (row: PolicyRow) => void = () => undefined): Promise<PolicyRow[]> {
  const plan: Array<[Sweep, Variant]> = [];
  const existing = sweep("existingFastDeployment", "deploymentSeconds", 300, quick ? 3 : 10);
  const defaultIdle = DEFAULT_POLL_POLICIES.deployment.idleIntervalSeconds;
  const idles: (number | undefined)[] = quick ? [defaultIdle] : [...new Set([undefined, 120, defaultIdle])];
  for (const idle of idles) for (const interval of [15, 30, 60]) plan.push([existing, deploymentVariant(interval, idle)]);
  if (!quick) {
    const dflt = { ...sweep("default", "deploymentSeconds", 720, 1) };
    for (const idle of idles) for (const interval of [15, 30, 60]) plan.push([dflt, deploymentVariant(interval, idle)]);
    const endpoint = sweep("default", "endpointSeconds", 60, 10);
    const defaultFirst = DEFAULT_POLL_POLICIES.endpoint.firstDelaySeconds;
    for (const interval of [10, 15, 20]) plan.push([endpoint, endpointVariant(interval, defaultFirst)]);
    for (const interval of [10, 20]) plan.push([endpoint, endpointVariant(interval, undefined)]);
  }
  const rows: PolicyRow[] = [];
  for (const [s, v] of plan) {
    const row = await runRow(s, v);
    rows.push(row);
    onRow(row);
  }
  return rows;
}
