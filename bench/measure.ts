/**
 * One deployment on the local stack (simulator + broker + local durable runner on a virtual clock),
 * and everything the benchmarks read from it: simulated stage times, the simulator's operation
 * times, ARM calls by operation, the runner's per-instance metrics.
 */
import type { DeploymentNotification } from "../src/contracts";
import type { PollPolicies } from "../src/contracts/orchestration";
import { instanceIdFor } from "../src/domain/ids";
import { deployFlowInput } from "../src/intake/startOnce";
import { runLocalDeployment } from "../src/local/localRun";
import { startLocalStack, type LocalStack } from "../src/local/localStack";
import { SCORING_OPERATIONS } from "../src/local/simulator";
import { DEPLOY_FLOW } from "../orchestrations/deployFlow";
import { deployRequest, scenarioFor, T0, type LatencyMix } from "./scenarios";

export interface DeploymentRun {
  mix: string;
  outcome: DeploymentNotification["outcome"];
  /** Simulated seconds from the orchestration's start to the simulator's traffic-update operation end (traffic routed to the new deployment). */
  timeToTrafficSeconds: number;
  /** Simulated seconds from the orchestration's start to the end of its traffic stage (the orchestrator saw the update finish). */
  trafficStageEndSeconds: number;
  /** Simulated seconds: the deployment stage ended (the orchestrator saw it Succeeded) minus the simulator's deployment operation end. */
  deploymentDetectionLateSeconds: number;
  /** Simulated seconds: the endpoint stage ended minus the endpoint create operation's end (0 for an existing endpoint). */
  endpointDetectionLateSeconds: number;
  /** Stage → [start, end] in simulated seconds from the orchestration's start. */
  stages: Record<string, [number, number]>;
  /** ARM requests by operation (scoring excluded). */
  armCallsByOperation: Record<string, number>;
  armCalls: number;
  scoringCalls: number;
  historyEvents: number;
  /** Orchestrator episodes (each replays the history so far). */
  replays: number;
  replayedEvents: number;
  /** Real ms spent in orchestrator invocations. */
  replayCpuMs: number;
  /** Real ms from the instance's start to its completion on the runner. */
  wallMs: number;
  activityCalls: number;
  activityBusyMs: number;
  maxActivityMs: number;
  slowestActivity: string;
  activityBusyMsByName: Record<string, number>;
  timersFired: number;
}

const seconds = (fromIso: string, toIso: string) => (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
const SCORING = new Set<string>(SCORING_OPERATIONS);

/** Reads a finished deployment's figures from its stack (before the stack closes). */
export function collectRun(stack: LocalStack, mix: LatencyMix, notification: DeploymentNotification): DeploymentRun {
  const start = notification.startedAt;
  const stages: Record<string, [number, number]> = {};
  for (const s of notification.stages) stages[s.name] = [seconds(start, s.startedAt), s.endedAt ? seconds(start, s.endedAt) : NaN];
  const state = stack.sim.state();
  const endpointName = notification.endpoint?.name ?? "";
  const deploymentName = notification.deployment?.name ?? "";
  const endpointOps = state.operations.filter((o) => o.resourceId.endsWith(`/onlineEndpoints/${endpointName}`));
  const trafficOp = endpointOps.filter((o) => o.action === "update").at(-1);
  const createOp = endpointOps.find((o) => o.action === "create");
  const deploymentOp = state.operations.find((o) => o.resourceId.endsWith(`/onlineEndpoints/${endpointName}/deployments/${deploymentName}`) && o.action === "create");
  const stageEnd = (name: string) => notification.stages.find((s) => s.name === name)?.endedAt;

  const armCallsByOperation: Record<string, number> = {};
  let scoringCalls = 0;
  for (const [op, n] of Object.entries(stack.sim.requestCounts())) {
    if (SCORING.has(op)) scoringCalls += n;
    else armCallsByOperation[op] = n;
  }
  if (!notification.instanceId) throw new Error(`notification without an instance id: ${notification.outcome}`);
  const m = stack.runtime.instanceMetrics(notification.instanceId);
  const runner = stack.runtime.metrics();
  let slowestActivity = "";
  const activityBusyMsByName: Record<string, number> = {};
  for (const [name, stats] of Object.entries(runner.activities.byName)) {
    activityBusyMsByName[name] = round(stats.busyMs, 1);
    if (stats.maxMs === runner.activities.maxMs) slowestActivity = name;
  }
  return {
    mix: mix.name,
    outcome: notification.outcome,
    timeToTrafficSeconds: trafficOp ? seconds(start, trafficOp.endTime) : NaN,
    trafficStageEndSeconds: stageEnd("traffic") ? seconds(start, stageEnd("traffic")!) : NaN,
    deploymentDetectionLateSeconds: deploymentOp && stageEnd("deployment") ? seconds(deploymentOp.endTime, stageEnd("deployment")!) : NaN,
    endpointDetectionLateSeconds: createOp && stageEnd("endpoint") ? seconds(createOp.endTime, stageEnd("endpoint")!) : 0,
    stages,
    armCallsByOperation,
    armCalls: Object.values(armCallsByOperation).reduce((a, b) => a + b, 0),
    scoringCalls,
    historyEvents: m.historyEvents,
    replays: m.episodes,
    replayedEvents: m.replayedEvents,
    replayCpuMs: round(runner.episodeMs, 1),
    wallMs: m.wallMs ?? NaN,
    activityCalls: m.activities.calls,
    activityBusyMs: round(m.activities.busyMs, 1),
    maxActivityMs: round(m.activities.maxMs, 1),
    slowestActivity,
    activityBusyMsByName,
    timersFired: m.timersFired,
  };
}

/**
 * The product's own path: the sample request through the deploy-requests queue on the local broker,
 * the queue trigger, the orchestration with the default policies, the notification on the topic.
 */
export async function deployViaQueue(mix: LatencyMix): Promise<DeploymentRun> {
  const request = deployRequest();
  const result = await runLocalDeployment({ request, scenario: scenarioFor(mix), startAt: T0 });
  try {
    return collectRun(result.stack, mix, result.notification);
  } finally {
    await result.stack.close();
  }
}

/** The orchestration started directly on the local Durable client with other poll policies. */
export async function deployWithPolicies(mix: LatencyMix, polls: PollPolicies): Promise<DeploymentRun> {
  const stack = await startLocalStack({ scenario: scenarioFor(mix), startAt: T0 });
  try {
    const request = deployRequest();
    const instanceId = instanceIdFor(request.requestId);
    await stack.client.startNew(DEPLOY_FLOW, { instanceId, input: { ...deployFlowInput(request, "cli"), polls } });
    const rec = await stack.runtime.waitForCompletion(instanceId, { timeoutMs: 60_000 });
    if (!rec.outputJson) throw new Error(`${instanceId} ended ${rec.runtimeStatus} without output`);
    return collectRun(stack, mix, JSON.parse(rec.outputJson) as DeploymentNotification);
  } finally {
    await stack.close();
  }
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
