import { ServiceBusClient } from "@azure/service-bus";
import { afterEach, describe, expect, it } from "vitest";
import { createFlowdeployClient, type DeploymentNotification } from "../../src/client";
import { DEFAULT_QUEUE_NAME } from "../../src/client/connection";
import { instanceIdFor } from "../../src/domain/ids";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { serve, type RunningService } from "../../src/local/serve";
import { LOCAL_SUBSCRIPTIONS } from "../../src/local/serviceBusTopology";
import { readJson, repoRoot, sampleEventRequestId, sampleRequest, sampleTarget } from "../support/samples";
import { sourceKey } from "../../src/contracts/events";
import { join } from "node:path";

/**
 * The three ways people use flowdeploy, end to end with the real @azure/service-bus client on the
 * local AMQP broker: enqueue a request, deliver an Event Grid event, receive notifications.
 */
let stack: LocalStack | undefined;
let service: RunningService | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await service?.close();
  await stack?.close();
  service = undefined;
  stack = undefined;
});

/** Collects every notification on a subscription until `count` arrived. */
function collect(connectionString: string, subscription: string, count: number) {
  const client = createFlowdeployClient({ connectionString });
  const got: DeploymentNotification[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const abort = new AbortController();
  void client.watch({ subscription, signal: abort.signal }, (n) => {
    got.push(n);
    if (got.length >= count) done();
  });
  closers.push(async () => {
    abort.abort();
    await client.close();
  });
  return { got, finished };
}

async function sendRaw(connectionString: string, bodies: unknown[]): Promise<void> {
  const sb = new ServiceBusClient(connectionString);
  const sender = sb.createSender(DEFAULT_QUEUE_NAME);
  for (const body of bodies) await sender.sendMessages({ body, contentType: "application/json" });
  await sb.close();
}

describe("deploy requests on the queue", () => {
  it("enqueue → orchestration → Succeeded notification on a filtered subscription; a duplicate deploys once", async () => {
    stack = await startLocalStack();
    closers.push(await stack.startQueueTrigger());
    const succeeded = collect(stack.serviceBusConnectionString, LOCAL_SUBSCRIPTIONS.succeeded, 1);
    const all = collect(stack.serviceBusConnectionString, LOCAL_SUBSCRIPTIONS.all, 1);
    const client = createFlowdeployClient({ connectionString: stack.serviceBusConnectionString });
    closers.push(() => client.close());
    const request = sampleRequest();
    await client.enqueue(request as never);
    // A second send within the duplicate-detection window, and a third after it under another message id.
    await client.enqueue(request as never);
    await sendRaw(stack.serviceBusConnectionString, [request]);
    await succeeded.finished;
    await stack.runtime.waitForCompletion(instanceIdFor(request.requestId));
    await new Promise((r) => setTimeout(r, 300));
    expect(succeeded.got).toHaveLength(1);
    expect(succeeded.got[0]).toMatchObject({ outcome: "Succeeded", requestId: request.requestId });
    expect(all.got).toHaveLength(1);
    expect(stack.runtime.listInstances()).toHaveLength(1);
    expect(stack.sim.requestCounts()["onlineDeployments.createOrUpdate"]).toBe(1);
  });

  it("answers 20 malformed messages with 20 Rejected notifications, none retried or lost", async () => {
    stack = await startLocalStack();
    const rejected = collect(stack.serviceBusConnectionString, LOCAL_SUBSCRIPTIONS.rejected, 20);
    const bad: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      const r = sampleRequest();
      r.requestId = `bad-${i}`;
      if (i % 4 === 0) r.deployment.instanceCount = -i;
      else if (i % 4 === 1) delete r.endpoint;
      else if (i % 4 === 2) r.schemaVersion = "9";
      else r.endpoint.name = `bad name ${i}`;
      bad.push(r);
    }
    await sendRaw(stack.serviceBusConnectionString, bad);
    closers.push(await stack.startQueueTrigger());
    await rejected.finished;
    expect(rejected.got.map((n) => n.requestId).sort()).toEqual(bad.map((b) => (b as { requestId: string }).requestId).sort());
    for (const n of rejected.got) expect(n.error?.message).toMatch(/^(deployment\.instanceCount|endpoint|schemaVersion|endpoint\.name): /);
    const queue = stack.broker.entity(DEFAULT_QUEUE_NAME);
    expect(queue).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
    expect(stack.broker.stats().abandoned).toBe(0);
    expect(stack.runtime.listInstances()).toHaveLength(0);
  });

  it("redelivers a request whose start fails transiently, then dead-letters it with a reason", async () => {
    stack = await startLocalStack();
    const failing = {
      getStatus: () => Promise.reject(new Error("the task hub is unavailable")),
      startNew: () => Promise.reject(new Error("unreachable")),
    };
    closers.push(await stack.startQueueTrigger({ client: failing as never }));
    await sendRaw(stack.serviceBusConnectionString, [sampleRequest()]);
    const deadline = Date.now() + 15_000;
    while (stack.broker.entity(DEFAULT_QUEUE_NAME).deadLettered === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const dlq = stack.broker.deadLetters(DEFAULT_QUEUE_NAME);
    expect(dlq).toHaveLength(1);
    // Service Bus's default MaxDeliveryCount: 10 deliveries, then the dead-letter queue.
    expect(dlq[0]).toMatchObject({ reason: "MaxDeliveryCountExceeded", deliveryCount: 10 });
  });
});

describe("Event Grid through flowdeploy serve", () => {
  const event = readJson<Record<string, unknown>>(join(repoRoot, "samples", "bulk-test-passed.event.json"));
  const post = (url: string, body: unknown, kind = "Notification") =>
    fetch(`${url}/runtime/webhooks/eventgrid?functionName=bulkTestEvents`, { method: "POST", headers: { "aeg-event-type": kind, "content-type": "application/json" }, body: JSON.stringify(body) });

  it("answers the subscription validation handshake", async () => {
    service = await serve({ port: 0, timeScale: 600 });
    const res = await post(service.url, [{ id: "v", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent", subject: "", eventTime: "2026-11-23T10:00:00Z", data: { validationCode: "code-1" }, dataVersion: "1" }], "SubscriptionValidation");
    expect(await res.json()).toEqual({ validationResponse: "code-1" });
  });

  it("deploys once for a CloudEvent delivered five times, an Event Grid-schema twin, and ignores untagged Azure ML runs", async () => {
    service = await serve({ port: 0, timeScale: 600 });
    const notifications = collect(service.stack.serviceBusConnectionString, LOCAL_SUBSCRIPTIONS.all, 1);
    const { specversion: _v, source, type, time, ...rest } = event as Record<string, unknown>;
    const eventGridTwin = { ...rest, topic: source, eventType: type, eventTime: time, dataVersion: "1" };
    for (let i = 0; i < 5; i++) expect((await post(service.url, [event])).status).toBe(202);
    expect((await post(service.url, [eventGridTwin])).status).toBe(202);
    const untagged = readJson(join(repoRoot, "test", "fixtures", "azure", "eventgrid.RunCompleted.json"));
    expect((await post(service.url, [untagged])).status).toBe(202);
    await notifications.finished;
    expect(notifications.got[0]).toMatchObject({ outcome: "Succeeded", requestId: sampleEventRequestId() });
    expect(service.stack.runtime.listInstances()).toHaveLength(1);
  });

  it("maps an Azure ML RunCompleted tagged for deployment", async () => {
    service = await serve({ port: 0, timeScale: 600 });
    const notifications = collect(service.stack.serviceBusConnectionString, LOCAL_SUBSCRIPTIONS.all, 1);
    const run = readJson<Record<string, any>>(join(repoRoot, "test", "fixtures", "azure", "eventgrid.cloudevents.RunCompleted.json"));
    run.source = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";
    const { workspace: _w, ...target } = sampleTarget();
    run.data.runTags = { "flowdeploy.passed": "true", "flowdeploy.request": JSON.stringify(target) };
    expect((await post(service.url, [run])).status).toBe(202);
    await notifications.finished;
    expect(notifications.got[0]).toMatchObject({ outcome: "Succeeded", requestId: `amlrun-${sourceKey(run.source)}-${run.data.runId}` });
  });

  it("publishes a Rejected notification for a bad event and acknowledges it", async () => {
    service = await serve({ port: 0, timeScale: 600 });
    const rejected = collect(service.stack.serviceBusConnectionString, LOCAL_SUBSCRIPTIONS.rejected, 1);
    const bad = structuredClone(event) as Record<string, any>;
    bad.data.metrics.accuracy = 0.2;
    expect((await post(service.url, [bad])).status).toBe(202);
    await rejected.finished;
    expect(rejected.got[0]!.error?.message).toBe("data.metrics.accuracy: accuracy = 0.2 is below the minimum 0.85");
    expect(service.stack.runtime.listInstances()).toHaveLength(0);
  });
});
