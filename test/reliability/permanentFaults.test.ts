import { describe, expect, it } from "vitest";
import type { FaultInput, ScenarioInput, SimulatorStateView } from "../../src/local/simulator";
import { sampleRequest } from "../support/samples";
import { recordedDeploy } from "./support/deploy";
import { scanForLeaksAfterAll } from "./support/leaks";
import { reportRow } from "./support/report";

/**
 * Promise 2: permanent faults fail cleanly. Each case runs the real pipeline against an endpoint
 * whose live deployment `blue` serves 100% (except "name taken", where the endpoint is someone
 * else's): a Failed notification names the right stage and code, the simulator's traffic map (as PUT
 * and as routed) is exactly what it was before the request, no traffic PUT was sent, and the new
 * deployment is deleted (`rollout.onFailure: "delete"`) or kept at 0% (`"keep"`).
 * (test/orchestrations/deployFlow.e2e.test.ts covers some of these with onFailure delete only.)
 */
scanForLeaksAfterAll();

const START = new Date("2026-11-23T10:00:00.000Z");
const liveBlue: ScenarioInput = { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] };

interface PermanentCase {
  label: string;
  scenario: ScenarioInput;
  faults?: FaultInput[];
  /** Turns the sample request into this case's request. */
  request?: (r: Record<string, any>) => void;
  stage: string;
  code: string;
  /** Whether the pipeline got as far as creating the new deployment. */
  createsDeployment: boolean;
}

const cases: PermanentCase[] = [
  { label: "ImagePullFailure", scenario: liveBlue, faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure" }], stage: "deployment", code: "ImagePullFailure", createsDeployment: true },
  { label: "OutOfQuota", scenario: liveBlue, faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "OutOfQuota" }], stage: "deployment", code: "OutOfQuota", createsDeployment: true },
  { label: "ResourceNotReady", scenario: liveBlue, faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ResourceNotReady" }], stage: "deployment", code: "ResourceNotReady", createsDeployment: true },
  {
    label: "a missing model",
    scenario: liveBlue,
    request: (r) => {
      delete r["flow"];
      r["model"] = { name: "web-classification-model", version: "42" };
    },
    stage: "model",
    code: "ModelNotFound",
    createsDeployment: false,
  },
  { label: "a smoke test that keeps failing (500)", scenario: liveBlue, faults: [{ op: "score", deployment: "green", status: 500, times: -1 }], stage: "smokeTest", code: "SmokeTestFailed", createsDeployment: true },
  { label: "a smoke test that is never authorized (401)", scenario: liveBlue, faults: [{ op: "score", deployment: "green", status: 401, times: -1 }], stage: "smokeTest", code: "NotAuthorizedInTime", createsDeployment: true },
  {
    label: "a smoke test missing an expected field",
    scenario: liveBlue,
    request: (r) => {
      r["smokeTest"].expectFields = ["category", "confidence"];
    },
    stage: "smokeTest",
    code: "SmokeTestFailed",
    createsDeployment: true,
  },
  { label: "an endpoint name taken in the region", scenario: { takenEndpointNames: ["web-classify"] }, stage: "endpoint", code: "Conflict", createsDeployment: false },
];

/** The endpoint's traffic map as PUT and as routed, or null when the workspace has no such endpoint. */
const trafficIn = (state: SimulatorStateView) => {
  const ep = state.endpoints.find((e) => e.name === "web-classify");
  return ep ? { traffic: ep.traffic, routed: ep.effectiveTraffic } : null;
};

describe("permanent faults fail cleanly, live traffic untouched", () => {
  const matrix = cases.flatMap((c) => (c.createsDeployment ? (["delete", "keep"] as const).map((onFailure) => ({ ...c, onFailure })) : [{ ...c, onFailure: "delete" as const }]));

  it.each(matrix)("$label (onFailure $onFailure)", async (c) => {
    const request = sampleRequest();
    c.request?.(request);
    request["rollout"] = { strategy: "blueGreen", onFailure: c.onFailure };
    const seen: { before: ReturnType<typeof trafficIn> } = { before: null };
    const run = await recordedDeploy(
      { startAt: START, request, scenario: { ...c.scenario, faults: c.faults ?? [] }, onStarted: (stack) => (seen.before = trafficIn(stack.sim.state())) },
      `${c.label} (${c.onFailure})`,
    );
    const { before } = seen;
    const n = run.notification;
    const endpoint = run.state.endpoints.find((e) => e.name === "web-classify");
    const green = endpoint?.deployments.find((d) => d.name === "green");
    const deletes = run.requests.filter((r) => r.operation === "onlineDeployments.delete");
    reportRow("permanent", {
      label: c.label,
      onFailure: c.onFailure,
      outcome: n.outcome,
      stage: n.error?.stage,
      code: n.error?.code,
      trafficBefore: before,
      trafficAfter: trafficIn(run.state),
      newDeployment: green ? `${green.provisioningState}, serving ${endpoint?.traffic["green"] ?? 0}%` : "none",
      deleteRequests: deletes.length,
      message: n.error?.message,
    });

    expect(n).toMatchObject({ outcome: "Failed", error: { stage: c.stage, code: c.code } });
    expect(n.error!.message.length).toBeGreaterThan(0);
    expect(n.error!.message).not.toMatch(/\n\s+at |\.ts:\d+/);
    expect(run.published.map((p) => p.outcome)).toEqual(["Failed"]);

    // Live traffic exactly as before: the simulator's map, as PUT and as routed; no traffic PUT sent.
    expect(trafficIn(run.state)).toEqual(before);
    const endpointPuts = run.requests.filter((r) => r.operation === "onlineEndpoints.createOrUpdate" && r.status < 300);
    expect(endpointPuts).toHaveLength(0);
    expect(n.traffic).toEqual(before?.traffic ?? {});

    const deploymentPuts = run.requests.filter((r) => r.operation === "onlineDeployments.createOrUpdate" && r.status < 300);
    if (!c.createsDeployment) {
      expect(deploymentPuts).toHaveLength(0);
      expect(green).toBeUndefined();
      return;
    }
    expect(deploymentPuts).toHaveLength(1);
    if (c.onFailure === "delete") {
      // The delete was accepted; the deployment is gone or on its way out, and never took traffic.
      expect(deletes.map((d) => d.status)).toEqual([202]);
      expect(green === undefined || green.provisioningState === "Deleting").toBe(true);
    } else {
      expect(deletes).toHaveLength(0);
      expect(green).toBeDefined();
      expect(endpoint!.traffic["green"] ?? 0).toBe(0);
      expect(endpoint!.effectiveTraffic["green"] ?? 0).toBe(0);
    }
  });
});
