import { afterEach, describe, expect, it } from "vitest";
import { parseDeployRequest, type DeployRequest, type DeploymentNotification } from "../../src/contracts";
import { startOnce } from "../../src/intake/startOnce";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { sampleRequest } from "../support/samples";

/**
 * One endpoint, one change at a time: deployFlow holds a critical section on the endpoint's lock
 * entity. Two requests for the same endpoint started together run one after the other (in the order
 * they started), both complete, and the later one's deployment ends up with the traffic. Requests for
 * different endpoints still run side by side.
 */
let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

function request(requestId: string, endpoint: string, deployment: string): DeployRequest {
  const r = sampleRequest();
  r.requestId = requestId;
  r.endpoint.name = endpoint;
  r.deployment.name = deployment;
  const parsed = parseDeployRequest(r);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

/** From the endpoint stage (the first under the lock) to the last stage's end. The propagation stage
 * may start in the past: it counts from a grant an earlier run made. */
const span = (n: DeploymentNotification) => ({
  from: Date.parse(n.stages.find((s) => s.name === "endpoint")!.startedAt),
  to: Math.max(...n.stages.map((s) => Date.parse(s.endedAt!))),
});

async function runAll(requests: DeployRequest[]): Promise<DeploymentNotification[]> {
  stack = await startLocalStack();
  const ids: string[] = [];
  for (const r of requests) ids.push((await startOnce(stack.client, r, "queue")).instanceId);
  const done = await Promise.all(ids.map((id) => stack!.runtime.waitForCompletion(id)));
  return done.map((rec) => JSON.parse(rec.outputJson!) as DeploymentNotification);
}

describe("per-endpoint serialization", () => {
  it("serializes two deployments to the same endpoint; the later one ends with the traffic", async () => {
    const [first, second] = await runAll([request("same-1", "web-classify", "green"), request("same-2", "web-classify", "teal")]);
    expect(first!.outcome).toBe("Succeeded");
    expect(second!.outcome).toBe("Succeeded");
    expect(span(second!).from).toBeGreaterThanOrEqual(span(first!).to);
    expect(stack!.sim.state().endpoints.find((e) => e.name === "web-classify")!.traffic).toEqual({ green: 0, teal: 100 });
    // The endpoint was created once, then each deployment updated its traffic once.
    expect(stack!.sim.requests({ operation: "onlineEndpoints.createOrUpdate" })).toHaveLength(3);
  });

  it("runs deployments to different endpoints in parallel", async () => {
    const [a, b] = await runAll([request("par-1", "web-classify", "green"), request("par-2", "chat-classify", "green")]);
    expect(a!.outcome).toBe("Succeeded");
    expect(b!.outcome).toBe("Succeeded");
    expect(span(b!).from).toBeLessThan(span(a!).to);
  });
});
