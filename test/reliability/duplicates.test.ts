import { join } from "node:path";
import { ServiceBusClient } from "@azure/service-bus";
import { afterEach, describe, expect, it } from "vitest";
import { createFlowdeployClient } from "../../src/client";
import { DEFAULT_QUEUE_NAME } from "../../src/client/connection";
import type { DeploymentNotification } from "../../src/contracts";
import { instanceIdFor } from "../../src/domain/ids";
import { serve, type RunningService } from "../../src/local/serve";
import { readJson, repoRoot, sampleEventRequestId, sampleRequest } from "../support/samples";
import { drainNotifications, recordStack, RELIABILITY_TIMER_LATENESS_SECONDS } from "./support/deploy";
import { recordArtifact, scanForLeaksAfterAll } from "./support/leaks";
import { reportRow } from "./support/report";

/**
 * Promise 4: duplicates deploy once. Through `flowdeploy serve` (queue trigger on the local broker,
 * Event Grid webhook, the durable runner and the simulator, on a virtual clock): the same request
 * sent 5 times on the queue (with its request id as messageId, so Service Bus duplicate detection
 * drops the copies; and with 5 different message ids, so the pipeline's own idempotency must), the
 * same bulk-test event delivered 5 times by Event Grid, and both at once. Each must give one
 * orchestration, one deployment PUT, and one notification per outcome (the notify activity's
 * messageId is derived from (instance, outcome): the topic drops a repeated publish).
 * (test/integration/messaging.test.ts covers a request sent 3 times and an event 5 times, one after another.)
 */
scanForLeaksAfterAll();

let service: RunningService | undefined;
afterEach(async () => {
  if (service) recordStack(service.stack, "duplicates");
  await service?.close();
  service = undefined;
});

const START = new Date("2026-11-23T10:00:00.000Z");
const EVENT = readJson<Record<string, any>>(join(repoRoot, "samples", "bulk-test-passed.event.json"));
const EVENT_REQUEST_ID = sampleEventRequestId();

async function sendToQueue(connectionString: string, bodies: { body: unknown; messageId?: string }[]): Promise<void> {
  const sb = new ServiceBusClient(connectionString);
  const sender = sb.createSender(DEFAULT_QUEUE_NAME);
  try {
    await Promise.all(bodies.map((b) => sender.sendMessages({ body: b.body, contentType: "application/json", ...(b.messageId ? { messageId: b.messageId } : {}) })));
  } finally {
    await sb.close();
  }
}

const postEvents = (url: string, events: unknown[]) =>
  fetch(`${url}/runtime/webhooks/eventgrid?functionName=bulkTestEvents`, { method: "POST", headers: { "aeg-event-type": "Notification", "content-type": "application/json" }, body: JSON.stringify(events) });

/** Waits until the queue is drained and these instances finished, then reads every notification published. */
async function settle(s: RunningService, requestIds: string[]): Promise<DeploymentNotification[]> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const q = s.stack.broker.entity(DEFAULT_QUEUE_NAME);
    if (q.active === 0 && q.locked === 0 && requestIds.every((id) => s.stack.runtime.getInstance(instanceIdFor(id)))) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  for (const id of requestIds) await s.stack.runtime.waitForCompletion(instanceIdFor(id), { timeoutMs: 20_000 });
  // Every request's outcome (or its rejection) has been published.
  const published = await drainNotifications(s.stack, { until: (all) => requestIds.every((id) => all.some((n) => n.requestId === id && n.outcome !== "AwaitingApproval")) });
  recordArtifact("duplicates: notifications", published);
  return published;
}

function summary(s: RunningService, published: DeploymentNotification[]) {
  const deploymentPuts = s.stack.sim.requests({ operation: "onlineDeployments.createOrUpdate" }).filter((r) => r.status < 300);
  return {
    orchestrations: s.stack.runtime.listInstances().length,
    deploymentPuts: deploymentPuts.length,
    notifications: published.map((n) => `${n.requestId}:${n.outcome}`).sort(),
    duplicatesDroppedByBroker: s.stack.broker.stats().duplicatesDropped,
    deadLettered: s.stack.broker.entity(DEFAULT_QUEUE_NAME).deadLettered,
  };
}

describe("duplicates deploy once", () => {
  it("the same request sent 5 times on the queue with its request id as messageId: Service Bus keeps one", async () => {
    service = await serve({ port: 0, startAt: START, runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS } });
    const client = createFlowdeployClient({ connectionString: service.stack.serviceBusConnectionString });
    const request = sampleRequest();
    try {
      await Promise.all(Array.from({ length: 5 }, () => client.enqueue(request as never)));
    } finally {
      await client.close();
    }
    const s = summary(service, await settle(service, [request["requestId"]]));
    reportRow("duplicates", { label: "same request ×5 on the queue, same messageId", ...s });
    expect(s).toEqual({ orchestrations: 1, deploymentPuts: 1, notifications: [`${request["requestId"]}:Succeeded`], duplicatesDroppedByBroker: 4, deadLettered: 0 });
  });

  it("the same request sent 5 times at once with 5 different message ids: the pipeline starts it once", async () => {
    service = await serve({ port: 0, startAt: START, runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS } });
    const request = sampleRequest();
    await sendToQueue(
      service.stack.serviceBusConnectionString,
      Array.from({ length: 5 }, (_, i) => ({ body: request, messageId: `copy-${i}` })),
    );
    const published = await settle(service, [request["requestId"]]);
    // Sent again after it finished (outside any duplicate-detection window): still nothing new.
    await sendToQueue(service.stack.serviceBusConnectionString, [{ body: request, messageId: "late-copy" }]);
    const late = await settle(service, [request["requestId"]]);
    const s = summary(service, [...published, ...late]);
    reportRow("duplicates", { label: "same request ×5 on the queue at once, 5 messageIds, +1 after completion", ...s });
    expect(s).toEqual({ orchestrations: 1, deploymentPuts: 1, notifications: [`${request["requestId"]}:Succeeded`], duplicatesDroppedByBroker: 0, deadLettered: 0 });
  });

  it("the same bulk-test event delivered 5 times at once by Event Grid", async () => {
    service = await serve({ port: 0, startAt: START, runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => postEvents(service!.url, [EVENT])));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    const s = summary(service, await settle(service, [EVENT_REQUEST_ID]));
    reportRow("duplicates", { label: "same bulk-test event ×5 by Event Grid, at once", ...s });
    expect(s).toEqual({ orchestrations: 1, deploymentPuts: 1, notifications: [`${EVENT_REQUEST_ID}:Succeeded`], duplicatesDroppedByBroker: 0, deadLettered: 0 });
  });

  it("both at once: 5 copies of a request on the queue and 5 deliveries of an event for another deployment of the same endpoint", async () => {
    service = await serve({ port: 0, startAt: START, runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS } });
    const request = sampleRequest();
    const event = structuredClone(EVENT);
    event["data"].deploy.deployment.name = "blue";
    const client = createFlowdeployClient({ connectionString: service.stack.serviceBusConnectionString });
    try {
      await Promise.all([
        ...Array.from({ length: 5 }, () => client.enqueue(request as never)),
        sendToQueue(service.stack.serviceBusConnectionString, Array.from({ length: 5 }, (_, i) => ({ body: request, messageId: `copy-${i}` }))),
        ...Array.from({ length: 5 }, () => postEvents(service!.url, [event]).then((r) => expect(r.status).toBe(202))),
      ]);
    } finally {
      await client.close();
    }
    const s = summary(service, await settle(service, [request["requestId"], EVENT_REQUEST_ID]));
    reportRow("duplicates", { label: "both at once: request ×10 (5 same messageId, 5 different) + event ×5", ...s });
    // One orchestration and one deployment per request; the endpoint lock ran them one after the other.
    expect(s).toEqual({
      orchestrations: 2,
      deploymentPuts: 2,
      notifications: [`${EVENT_REQUEST_ID}:Succeeded`, `${request["requestId"]}:Succeeded`].sort(),
      duplicatesDroppedByBroker: 4,
      deadLettered: 0,
    });
    const puts = service.stack.sim.requests({ operation: "onlineDeployments.createOrUpdate" }).map((r) => r.path.split("/").pop());
    expect(puts.sort()).toEqual(["blue", "green"]);
  });

  it("a bad request sent 5 times and a bad event delivered 5 times: one Rejected notification each", async () => {
    service = await serve({ port: 0, startAt: START, runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS } });
    const bad = sampleRequest();
    bad["requestId"] = "dup-bad-request";
    bad["deployment"].instanceCount = 0;
    const badEvent = structuredClone(EVENT);
    badEvent["id"] = "dup-bad-event";
    badEvent["data"].metrics.accuracy = 0.1;
    await sendToQueue(service.stack.serviceBusConnectionString, Array.from({ length: 5 }, () => ({ body: bad, messageId: bad["requestId"] })));
    for (let i = 0; i < 5; i++) expect((await postEvents(service.url, [badEvent])).status).toBe(202);
    const published = await drainNotifications(service.stack, { until: (all) => all.length >= 2 });
    const s = summary(service, published);
    reportRow("duplicates", { label: "bad request ×5 (same messageId) + bad event ×5", ...s });
    expect(published.map((n) => `${n.requestId}:${n.outcome}:${n.error?.message}`).sort()).toEqual([
      // A threshold rejection keeps the event's derived request id, so a caller can find it.
      `${EVENT_REQUEST_ID}:Rejected:data.metrics.accuracy: accuracy = 0.1 is below the minimum 0.85`,
      "dup-bad-request:Rejected:deployment.instanceCount: expected a positive integer",
    ]);
    expect(s.orchestrations).toBe(0);
    expect(service.stack.sim.requests()).toHaveLength(0);
  });
});
