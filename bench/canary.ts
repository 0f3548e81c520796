/**
 * A 3-step canary on the local stack (issue 17): time to full traffic against its bound, the sum of
 * the bake times. Each step also pays the traffic update, the wait for the first whole minute (the
 * metrics' PT1M grain) and the 3 minutes the orchestrator lets Azure Monitor's metrics settle
 * (orchestrations/stages/analysis.ts, METRICS_SETTLE_SECONDS).
 */
import { parseDeployRequest, type DeploymentNotification } from "../src/contracts";
import { instanceIdFor } from "../src/domain/ids";
import { deployFlowInput } from "../src/intake/startOnce";
import { startLocalStack } from "../src/local/localStack";
import { ENDPOINT_NAME, sampleRequestJson, T0 } from "./scenarios";

export const CANARY_STEPS = [
  { percent: 10, bakeMinutes: 10 },
  { percent: 25, bakeMinutes: 10 },
  { percent: 50, bakeMinutes: 10 },
] as const;

export interface CanaryRow {
  steps: string;
  outcome: string;
  /** s, simulated: start of the first traffic move → end of the move to 100%. */
  timeToFullTrafficSeconds: number;
  /** s, simulated: the sum of the bake times. */
  boundSeconds: number;
  overBoundSeconds: number;
  overBoundPerStepSeconds: number;
  armCalls: number;
  historyEvents: number;
  analyses: number;
}

export async function measureCanary(): Promise<CanaryRow> {
  const stack = await startLocalStack({
    startAt: T0,
    scenario: { existing: [{ endpoint: ENDPOINT_NAME, deployments: [{ name: "blue", traffic: 100 }] }], load: { requestsPerMinute: 60 } },
  });
  try {
    const body = sampleRequestJson() as { requestId: string; deployment: Record<string, unknown>; rollout?: unknown };
    body.requestId = "bench-canary";
    body.deployment.name = "green";
    body.rollout = { strategy: "canary", onFailure: "delete", steps: CANARY_STEPS, analysis: { maxErrorRatePercent: 1, maxP95LatencyMs: 500, minRequests: 20 } };
    const parsed = parseDeployRequest(body);
    if (!parsed.ok) throw new Error(`bench canary request invalid: ${JSON.stringify(parsed.issues)}`);
    const id = instanceIdFor(parsed.value.requestId);
    await stack.client.startNew("deployFlow", { instanceId: id, input: deployFlowInput(parsed.value, "cli") });
    const rec = await stack.runtime.waitForCompletion(id, { timeoutMs: 120_000 });
    const n = JSON.parse(rec.outputJson!) as DeploymentNotification;
    const moves = n.stages.filter((s) => s.name === "traffic");
    const first = Date.parse(moves[0]!.startedAt);
    const last = Date.parse(moves[moves.length - 1]!.endedAt!);
    const bound = CANARY_STEPS.reduce((sum, s) => sum + s.bakeMinutes * 60, 0);
    const seconds = (last - first) / 1000;
    return {
      steps: CANARY_STEPS.map((s) => `${s.percent}%/${s.bakeMinutes}m`).join(" → "),
      outcome: n.outcome,
      timeToFullTrafficSeconds: seconds,
      boundSeconds: bound,
      overBoundSeconds: seconds - bound,
      overBoundPerStepSeconds: Math.round((seconds - bound) / CANARY_STEPS.length),
      armCalls: stack.sim.requests().filter((r) => r.operation !== "score").length,
      historyEvents: stack.runtime.instanceMetrics(id).historyEvents,
      analyses: n.stages.filter((s) => s.name === "analysis").length,
    };
  } finally {
    await stack.close();
  }
}
