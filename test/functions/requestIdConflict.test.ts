import { HttpRequest, InvocationContext } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlowdeployClient } from "../../src/client/client";
import type { DeploymentNotification } from "../../src/contracts/notification";
import type { DeployRequestInput } from "../../src/contracts/deployRequest";
import { instanceIdFor } from "../../src/domain/ids";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { sampleRequest } from "../support/samples";

/**
 * Issue 14: the same requestId with a different body used to be dropped silently (202 pointing at
 * the old instance; through the queue, Service Bus duplicate detection on messageId = requestId threw
 * it away). A changed body under a used id is a conflict: 409, and a Rejected notification naming
 * requestId; an identical resend stays a harmless duplicate.
 */
let stack: LocalStack;
/** Every notification the app publishes to the topic (recorded at the publisher, as sent). */
const seen: DeploymentNotification[] = [];
beforeAll(async () => {
  stack = await startLocalStack();
  const publish = stack.publisher.publish.bind(stack.publisher);
  stack.publisher.publish = async (n, id) => {
    seen.push(n);
    await publish(n, id);
  };
});
afterAll(async () => stack.close());

const context = () => new InvocationContext({ functionName: "startDeploymentHttp", logHandler: () => undefined });
const post = (body: unknown) => new HttpRequest({ url: "http://localhost:7071/api/deployments", method: "POST", body: { string: JSON.stringify(body) }, headers: { "content-type": "application/json" } });
const waitFor = async (pred: () => boolean) => {
  for (let i = 0; i < 800 && !pred(); i++) await new Promise((r) => setTimeout(r, 25));
  return pred();
};

describe("a request id reused for another request", () => {
  it("HTTP: 202 for the first and an identical resend, 409 naming requestId for a changed body, and a Rejected notification for whoever follows the id", async () => {
    const request = sampleRequest();
    request.requestId = "conflict-http-1";
    expect((await stack.app.handlers.startDeploymentHttp(post(request), stack.client, context())).status).toBe(202);
    expect((await stack.app.handlers.startDeploymentHttp(post(request), stack.client, context())).status).toBe(202);
    const changed = { ...request, deployment: { ...request.deployment, instanceCount: 2 } };
    const res = await stack.app.handlers.startDeploymentHttp(post(changed), stack.client, context());
    expect(res.status).toBe(409);
    expect((res.jsonBody as { errors: string[] }).errors[0]).toMatch(/^requestId: already used by a different request \(instance deploy-/);
    expect(stack.runtime.listInstances().filter((i) => i.instanceId === instanceIdFor("conflict-http-1"))).toHaveLength(1);
    const rejected = seen.filter((n) => n.outcome === "Rejected" && n.requestId === "conflict-http-1");
    expect(rejected).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: "RequestIdConflict" }), requestDigest: expect.stringMatching(/^r-[0-9a-f]{32}$/) })]);
    await stack.runtime.waitForCompletion(instanceIdFor("conflict-http-1"));
  });

  it("queue: the changed body is not dropped by duplicate detection and is rejected; the identical one is dropped", async () => {
    const client = createFlowdeployClient({ connectionString: stack.serviceBusConnectionString });
    const stopTrigger = await stack.startQueueTrigger();
    try {
      const request = sampleRequest() as DeployRequestInput;
      request.requestId = "conflict-queue-1";
      request.endpoint.name = "web-classify-q";
      const first = await client.enqueue(request);
      const again = await client.enqueue(request);
      expect(again.messageId).toBe(first.messageId);
      const changed = await client.enqueue({ ...request, deployment: { ...request.deployment, instanceCount: 3 } });
      expect(changed.messageId).not.toBe(first.messageId);
      expect(await waitFor(() => seen.some((n) => n.outcome === "Rejected" && n.requestId === "conflict-queue-1"))).toBe(true);
      const rejected = seen.find((n) => n.outcome === "Rejected" && n.requestId === "conflict-queue-1")!;
      expect(rejected.error).toMatchObject({ code: "RequestIdConflict", stage: "request", message: expect.stringContaining("requestId: already used by a different request") });
      expect(rejected).toMatchObject({ endpoint: { name: "web-classify-q" }, workspace: { name: "ws-promptflow" } });
      await stack.runtime.waitForCompletion(instanceIdFor("conflict-queue-1"));
      expect(await waitFor(() => seen.some((n) => n.outcome === "Succeeded" && n.requestId === "conflict-queue-1"))).toBe(true);
      expect(seen.filter((n) => n.requestId === "conflict-queue-1").map((n) => n.outcome).sort()).toEqual(["Rejected", "Succeeded"]);
      // Each answer names the body it answers: its sender's message id, the body's content digest.
      const succeeded = seen.find((n) => n.outcome === "Succeeded" && n.requestId === "conflict-queue-1")!;
      expect(succeeded.requestDigest).toBe(first.messageId);
      expect(rejected.requestDigest).toBe(changed.messageId);
    } finally {
      await stopTrigger();
      await client.close();
    }
  });
});
