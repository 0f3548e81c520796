import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFlowdeployClient, INVALID_NOTIFICATION_REASON, RequestValidationError, type DeadLetteredNotification, type DeploymentNotification, type FlowdeployClient } from "../../src/client";
import { parseDeployRequest } from "../../src/contracts";
import { Collected, LocalBus, notification, QUEUE, requestWithId, subscriptionPath, TOPIC } from "./helpers";

/** The client library with the real SDK against the local broker, declared with flowdeploy's topology. */
const bus = new LocalBus();
let client: FlowdeployClient;

beforeAll(async () => {
  await bus.start();
  client = createFlowdeployClient({ connectionString: bus.connectionString });
});
afterEach(() => bus.purge());
afterAll(async () => {
  await client?.close();
  await bus.stop();
});

const settled = (path: string) => {
  const e = bus.broker.entity(path);
  return e.active + e.locked;
};

describe("enqueue", () => {
  it("sends the validated request as JSON, with a content digest as message id and the request id as correlation id", async () => {
    const request = requestWithId("enqueue-valid-1");
    delete request.rollout; // a default the contract fills in: the message carries the request as validated
    const result = await client.enqueue(request as any);
    // The message id is a digest of the content: an identical resend is a duplicate to Service Bus, a changed one is not.
    expect(result).toEqual({ requestId: "enqueue-valid-1", messageId: expect.stringMatching(/^r-[0-9a-f]{32}$/), traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });

    const [message, ...more] = await bus.receive(QUEUE, undefined, 1);
    expect(more).toEqual([]);
    expect(message).toMatchObject({ contentType: "application/json", messageId: result.messageId, correlationId: "enqueue-valid-1", subject: "DeployRequest" });
    const expected = parseDeployRequest(request);
    expect(expected.ok && message!.body).toEqual(expected.ok && expected.value);
    expect(message!.body.rollout).toEqual({ strategy: "blueGreen", onFailure: "delete" });
    // A new trace, on the property the Azure SDKs use for a message's W3C trace context.
    expect(message!.applicationProperties).toEqual({ "Diagnostic-Id": expect.stringMatching(new RegExp(`^00-${result.traceId}-[0-9a-f]{16}-01$`)) });
  });

  it("continues the caller's trace when given one, and refuses one that is not a W3C traceparent (nothing sent)", async () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const result = await client.enqueue(requestWithId("enqueue-traced-1") as any, { traceparent });
    expect(result.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    const [message] = await bus.receive(QUEUE, undefined, 1);
    expect(message!.applicationProperties).toEqual({ "Diagnostic-Id": traceparent });
    await expect(client.enqueue(requestWithId("enqueue-traced-2") as any, { traceparent: "00-xyz" })).rejects.toThrow(/^traceparent: not a W3C traceparent/);
    expect(bus.broker.entity(QUEUE).active).toBe(0);
  });

  it("throws a RequestValidationError naming every bad field, and sends nothing", async () => {
    const received = bus.broker.stats().received;
    const request = requestWithId("enqueue-invalid-1");
    request.deployment.instanceCount = 0;
    request.endpoint.authMode = "password";
    const error = await client.enqueue(request as any).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RequestValidationError);
    const issues = (error as RequestValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual([["endpoint", "authMode"], ["deployment", "instanceCount"]]);
    expect((error as RequestValidationError).lines()).toEqual([
      'endpoint.authMode: expected "key" or "aml_token", received a string',
      "deployment.instanceCount: expected a positive integer",
    ]);
    expect(bus.broker.stats().received).toBe(received);
    expect(bus.broker.entity(QUEUE).active).toBe(0);
  });

  it("queues a request sent twice only once (duplicate detection on the message id)", async () => {
    const dropped = bus.broker.stats().duplicatesDropped;
    await client.enqueue(requestWithId("enqueue-twice-1") as any);
    await client.enqueue(requestWithId("enqueue-twice-1") as any);
    expect(bus.broker.entity(QUEUE).active).toBe(1);
    expect(bus.broker.stats().duplicatesDropped).toBe(dropped + 1);
  });
});

describe("watch", () => {
  it("hands a published notification to the handler and completes it", async () => {
    const seen = new Collected<DeploymentNotification>();
    const handle = await client.watch({ subscription: "all" }, seen.add);
    const published = notification("Succeeded", "watch-one-1");
    await bus.publish(published);
    expect(await seen.count(1)).toEqual([published]);
    await expect.poll(() => handle.counts.handled).toBe(1);
    expect(settled(subscriptionPath("all"))).toBe(0);
    expect(bus.broker.entity(`${subscriptionPath("all")}/$DeadLetterQueue`).active).toBe(0);
    await handle.stop();
    await handle.done;
  });

  it("gets only Failed notifications from the 'failed' subscription (a correlation filter on the outcome property)", async () => {
    const seen = new Collected<DeploymentNotification>();
    const handle = await client.watch({ subscription: "failed" }, seen.add);
    await bus.publish(notification("Succeeded", "filter-1"), notification("Failed", "filter-2"), notification("Rejected", "filter-3"), notification("Failed", "filter-4"));
    const got = await seen.count(2);
    await handle.stop();
    expect(got.map((n) => [n.outcome, n.requestId])).toEqual([
      ["Failed", "filter-2"],
      ["Failed", "filter-4"],
    ]);
    // The filter is the broker's: the other outcomes never reached this subscription (nothing was skipped client-side).
    expect(handle.counts).toEqual({ handled: 2, skipped: 0, deadLettered: 0 });
    expect(bus.broker.entity(subscriptionPath("succeeded")).active).toBe(1);
    expect(bus.broker.entity(subscriptionPath("rejected")).active).toBe(1);
    expect(bus.broker.entity(subscriptionPath("all")).active).toBe(4);
  });

  it("dead-letters a message that is not a valid notification, naming the fields, and keeps going", async () => {
    const seen = new Collected<DeploymentNotification>();
    const deadLettered = new Collected<DeadLetteredNotification>();
    const handle = await client.watch({ subscription: "all", onDeadLettered: deadLettered.add }, seen.add);
    const sender = bus.sdk.createSender(TOPIC);
    await sender.sendMessages([
      { body: Buffer.from("{ not json"), messageId: "bad-json", contentType: "application/json" },
      { body: { ...notification("Failed", "bad-fields"), outcome: "Maybe", endedAt: "yesterday" }, messageId: "bad-fields" },
    ]);
    await sender.close();
    const good = notification("Succeeded", "after-bad-ones");
    await bus.publish(good);

    expect(await seen.count(1)).toEqual([good]);
    await handle.stop();
    expect(handle.counts).toEqual({ handled: 1, skipped: 0, deadLettered: 2 });
    const letters = bus.broker.deadLetters(subscriptionPath("all"));
    expect(letters.map((m) => [m.messageId, m.reason])).toEqual([
      ["bad-json", INVALID_NOTIFICATION_REASON],
      ["bad-fields", INVALID_NOTIFICATION_REASON],
    ]);
    expect(letters[0]!.description).toMatch(/^\(root\): not valid JSON/);
    expect(letters[1]!.description).toBe("outcome: expected Succeeded, Failed, Rejected, Cancelled or AwaitingApproval, received a string; endedAt: expected an ISO-8601 timestamp, received a string");
    expect(deadLettered.items.map((d) => d.description)).toEqual(letters.map((m) => m.description));
    expect(settled(subscriptionPath("all"))).toBe(0);
  });

  it("filters client-side by request id and outcome, completing (not abandoning) what it skips", async () => {
    const abandoned = bus.broker.stats().abandoned;
    const seen = new Collected<DeploymentNotification>();
    const handle = await client.watch({ subscription: "all", requestId: "mine-1", outcome: "Failed" }, seen.add);
    await bus.publish(notification("Succeeded", "someone-else"), notification("Succeeded", "mine-1"), notification("Failed", "mine-1"));
    expect((await seen.count(1)).map((n) => [n.outcome, n.requestId])).toEqual([["Failed", "mine-1"]]);
    await expect.poll(() => handle.counts).toEqual({ handled: 1, skipped: 2, deadLettered: 0 });
    await handle.stop();
    expect(settled(subscriptionPath("all"))).toBe(0);
    expect(bus.broker.stats().abandoned).toBe(abandoned);
  });

  it("abandons the message when the handler throws, and ends the watch with that error", async () => {
    const abandoned = bus.broker.stats().abandoned;
    const handle = await client.watch({ subscription: "all" }, () => {
      throw new Error("handler broke");
    });
    await bus.publish(notification("Succeeded", "handler-throws"));
    await expect(handle.done).rejects.toThrow("handler broke");
    expect(bus.broker.stats().abandoned).toBe(abandoned + 1);
    // Delivered again to whoever receives next: nothing lost.
    const [again] = await bus.receive(TOPIC, "all", 1);
    expect(again).toMatchObject({ messageId: "handler-throws:Succeeded", deliveryCount: 1 });
  });

  it("rejects at once for a subscription that does not exist", async () => {
    await expect(client.watch({ subscription: "nope" }, () => undefined)).rejects.toMatchObject({ code: "MessagingEntityNotFound" });
  });

  it("stops when its AbortSignal is aborted", async () => {
    const controller = new AbortController();
    const handle = await client.watch({ subscription: "all", signal: controller.signal }, () => undefined);
    controller.abort();
    await expect(handle.done).resolves.toBeUndefined();
  });

  it("checks its filter before any network call", async () => {
    await expect(client.watch({ subscription: "all", outcome: "Maybe" as any }, () => undefined)).rejects.toThrow(/outcome must be one of/);
    await expect(client.watch({ subscription: " " }, () => undefined)).rejects.toThrow(/subscription/);
  });
});
