import { describe, expect, it } from "vitest";
import { instanceIdFor } from "../../src/domain/ids";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";
import { startLocalStack } from "../../src/local/localStack";
import { startOnce } from "../../src/intake/startOnce";
import { parseDeployRequest, type DeploymentNotification } from "../../src/contracts";

/**
 * Threat: a request runs up cost (any SKU, up to 100 instances) or starves an endpoint (a two-hour
 * propagation wait holding its lock). Defence: FLOWDEPLOY_MAX_INSTANCES, FLOWDEPLOY_ALLOWED_INSTANCE_TYPES,
 * propagationMinutes ≤ 60, and FLOWDEPLOY_LOCK_WAIT_MINUTES. docs/security.md, rows C1-C3.
 */
describe("C1: what a deployment may cost is the app's decision", () => {
  it("refuses more instances than FLOWDEPLOY_MAX_INSTANCES (default 10) before any Azure call", async () => {
    const request = sampleRequest();
    request.deployment.instanceCount = 11;
    const run = await deploy({ request });
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { code: "InstanceLimitExceeded", message: expect.stringContaining("deployment.instanceCount: at most 10 instances") } });
    expect(run.requests).toHaveLength(0);
    const allowed = sampleRequest();
    allowed.deployment.instanceCount = 3;
    expect((await deploy({ request: allowed, policy: { maxInstances: 3 } })).notification.outcome).toBe("Succeeded");
  });

  it("refuses an instance type outside FLOWDEPLOY_ALLOWED_INSTANCE_TYPES", async () => {
    const request = sampleRequest();
    request.deployment.instanceType = "Standard_NC96ads_A100_v4";
    const run = await deploy({ request, policy: { allowedInstanceTypes: ["Standard_DS3_v2", "Standard_F4s_v2"] } });
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { code: "InstanceTypeNotAllowed", message: expect.stringContaining("deployment.instanceType: Standard_NC96ads_A100_v4 is not in FLOWDEPLOY_ALLOWED_INSTANCE_TYPES") } });
    expect(run.requests).toHaveLength(0);
  });
});

describe("C2: no request holds an endpoint for hours", () => {
  it("refuses a propagation wait over 60 minutes", async () => {
    const request = sampleRequest();
    request.propagationMinutes = 90;
    const run = await deploy({ request });
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { code: "InvalidRequest", message: expect.stringContaining("propagationMinutes: at most 60 minutes") } });
  });
});

describe("C3: a request that waited too long for its endpoint ends EndpointBusy", () => {
  it("the second of two requests for one endpoint, with a 10-minute lock wait, fails without touching Azure; the first succeeds", async () => {
    const stack = await startLocalStack({ startAt: new Date("2026-11-23T10:00:00.000Z") });
    try {
      const parse = (id: string, deployment: string) => {
        const r = sampleRequest();
        r.requestId = id;
        r.deployment.name = deployment;
        const parsed = parseDeployRequest(r);
        if (!parsed.ok) throw new Error("invalid");
        return parsed.value;
      };
      await startOnce(stack.client, parse("busy-first", "green"), "queue", { lockWaitMinutes: 10 });
      await startOnce(stack.client, parse("busy-second", "blue"), "queue", { lockWaitMinutes: 10 });
      const [first, second] = await Promise.all(["busy-first", "busy-second"].map((id) => stack.runtime.waitForCompletion(instanceIdFor(id))));
      const n1 = JSON.parse(first!.outputJson!) as DeploymentNotification;
      const n2 = JSON.parse(second!.outputJson!) as DeploymentNotification;
      expect(n1.outcome).toBe("Succeeded");
      expect(n2).toMatchObject({ outcome: "Failed", stages: [], error: { stage: "request", code: "EndpointBusy", message: expect.stringMatching(/^waited 18 minutes for endpoint web-classify .* at most 10/) } });
      expect(stack.sim.state().endpoints[0]!.deployments.map((d) => d.name)).toEqual(["green"]);
    } finally {
      await stack.close();
    }
  });
});
