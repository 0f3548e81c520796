import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BrokerFixture, errorCode, sleep, waitFor } from "./helpers";

/**
 * Queues through the real @azure/service-bus client: peek-lock settlement, batches, redelivery,
 * dead-lettering, receive-and-delete, lock renewal and expiry. Each test uses its own queue.
 */
const f = new BrokerFixture();

beforeAll(() =>
  f.start({
    queues: [
      { name: "roundtrip" },
      { name: "batch" },
      { name: "abandon" },
      { name: "deadletter" },
      { name: "poison", maxDeliveryCount: 3 },
      { name: "rnd" },
      { name: "renew", lockDurationMs: 1_000 },
      { name: "expiry", lockDurationMs: 300 },
      { name: "ordering" },
      { name: "waiting" },
    ],
  }),
);
afterEach(() => f.closeTracked());
afterAll(() => f.stop());

describe("queue: peek-lock", () => {
  it("sends, receives under a lock and completes; message properties round-trip", async () => {
    const sender = f.track(f.client.createSender("roundtrip"));
    const receiver = f.track(f.client.createReceiver("roundtrip"));
    const before = Date.now();
    await sender.sendMessages({
      body: { requestId: "r-1", nested: { n: 1 } },
      contentType: "application/json",
      correlationId: "corr-1",
      subject: "deploy",
      messageId: "msg-1",
      to: "somewhere",
      replyTo: "replies",
      applicationProperties: { s: "x", n: 42, f: 1.5, b: true, neg: -7 },
    });
    expect(f.broker.entity("roundtrip")).toMatchObject({ active: 1, locked: 0 });

    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    expect(m).toBeDefined();
    expect(m!.body).toEqual({ requestId: "r-1", nested: { n: 1 } });
    expect(m!).toMatchObject({
      contentType: "application/json",
      correlationId: "corr-1",
      subject: "deploy",
      messageId: "msg-1",
      to: "somewhere",
      replyTo: "replies",
      applicationProperties: { s: "x", n: 42, f: 1.5, b: true, neg: -7 },
      deliveryCount: 0,
      state: "active",
    });
    expect(m!.sequenceNumber?.toNumber()).toBe(1);
    expect(m!.enqueuedTimeUtc!.getTime()).toBeGreaterThanOrEqual(before - 5);
    // Service Bus default lock duration is 60 s.
    expect(m!.lockedUntilUtc!.getTime() - Date.now()).toBeGreaterThan(55_000);
    expect(m!.lockToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(f.broker.entity("roundtrip")).toMatchObject({ active: 0, locked: 1 });

    await receiver.completeMessage(m!);
    expect(f.broker.entity("roundtrip")).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
    expect(f.trace.filter((e) => e.entity === "roundtrip").map((e) => e.type)).toEqual(["complete"]);
  });

  it("accepts a batch from createMessageBatch and delivers its messages in order", async () => {
    const sender = f.track(f.client.createSender("batch"));
    const receiver = f.track(f.client.createReceiver("batch"));
    const batch = await sender.createMessageBatch();
    // Service Bus standard tier message size limit, announced in the attach frame.
    expect(batch.maxSizeInBytes).toBe(256 * 1024);
    for (let i = 0; i < 20; i++) expect(batch.tryAddMessage({ body: { i }, applicationProperties: { i } })).toBe(true);
    await sender.sendMessages(batch);
    expect(f.broker.entity("batch").active).toBe(20);

    const got = await receiver.receiveMessages(20, { maxWaitTimeInMs: 2_000 });
    expect(got.map((m) => (m.body as { i: number }).i)).toEqual([...Array(20).keys()]);
    expect(got.map((m) => m.applicationProperties?.["i"])).toEqual([...Array(20).keys()]);
    await Promise.all(got.map((m) => receiver.completeMessage(m)));
    expect(f.broker.entity("batch")).toMatchObject({ active: 0, locked: 0 });
  });

  it("redelivers an abandoned message with deliveryCount + 1 and its modified properties", async () => {
    const sender = f.track(f.client.createSender("abandon"));
    const receiver = f.track(f.client.createReceiver("abandon"));
    await sender.sendMessages({ body: "again", messageId: "ab-1" });

    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    expect(first!.deliveryCount).toBe(0);
    await receiver.abandonMessage(first!, { attempt: "one" });

    const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    expect(second!.messageId).toBe("ab-1");
    expect(second!.deliveryCount).toBe(1);
    expect(second!.applicationProperties).toMatchObject({ attempt: "one" });
    expect(second!.lockToken).not.toBe(first!.lockToken);
    await receiver.completeMessage(second!);
    expect(f.trace.filter((e) => e.entity === "abandon").map((e) => [e.type, e.deliveries])).toEqual([
      ["abandon", 1],
      ["complete", 2],
    ]);
  });

  it("dead-letters with reason and description, visible on the dead-letter receiver", async () => {
    const sender = f.track(f.client.createSender("deadletter"));
    const receiver = f.track(f.client.createReceiver("deadletter"));
    await sender.sendMessages({ body: { bad: true }, messageId: "dl-1", subject: "s" });
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    await receiver.deadLetterMessage(m!, { deadLetterReason: "ValidationFailed", deadLetterErrorDescription: "workspace is missing" });
    expect(f.broker.entity("deadletter")).toMatchObject({ active: 0, locked: 0, deadLettered: 1 });
    expect(f.broker.deadLetters("deadletter")).toMatchObject([
      { messageId: "dl-1", reason: "ValidationFailed", description: "workspace is missing", body: { bad: true }, source: "deadletter" },
    ]);

    const dlq = f.track(f.client.createReceiver("deadletter", { subQueueType: "deadLetter" }));
    const [d] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    expect(d).toMatchObject({
      messageId: "dl-1",
      subject: "s",
      body: { bad: true },
      deadLetterReason: "ValidationFailed",
      deadLetterErrorDescription: "workspace is missing",
      deadLetterSource: "deadletter",
    });
    await dlq.completeMessage(d!);
    expect(f.broker.entity("deadletter").deadLettered).toBe(0);
  });

  it("dead-letters with MaxDeliveryCountExceeded after maxDeliveryCount deliveries", async () => {
    const sender = f.track(f.client.createSender("poison"));
    const receiver = f.track(f.client.createReceiver("poison"));
    await sender.sendMessages({ body: "poison", messageId: "p-1" });
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      counts.push(m!.deliveryCount!);
      await receiver.abandonMessage(m!);
    }
    expect(counts).toEqual([0, 1, 2]);
    expect(f.broker.entity("poison")).toMatchObject({ active: 0, locked: 0, deadLettered: 1 });
    const [dead] = f.broker.deadLetters("poison");
    expect(dead).toMatchObject({ messageId: "p-1", reason: "MaxDeliveryCountExceeded", deliveryCount: 3 });
    expect(dead!.description).toContain("3 delivery attempts");
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 })).toEqual([]);
  });

  it("receive-and-delete removes messages on delivery", async () => {
    const sender = f.track(f.client.createSender("rnd"));
    const receiver = f.track(f.client.createReceiver("rnd", { receiveMode: "receiveAndDelete" }));
    await sender.sendMessages([{ body: 1 }, { body: 2 }, { body: 3 }]);
    const got = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2_000 });
    expect(got.map((m) => m.body)).toEqual([1, 2, 3]);
    expect(got.every((m) => m.lockToken === undefined)).toBe(true);
    expect(f.broker.entity("rnd")).toMatchObject({ active: 0, locked: 0 });
  });

  it("counts a receiver link while it waits with credit, not before its first receive nor after its message arrived", async () => {
    const sender = f.track(f.client.createSender("waiting"));
    const receiver = f.track(f.client.createReceiver("waiting"));
    expect(f.broker.entity("waiting").receivers).toBe(0);
    const receiving = receiver.receiveMessages(1, { maxWaitTimeInMs: 20_000 });
    await waitFor(() => f.broker.entity("waiting").receivers === 1, 10_000, "the receive link's credit");
    await sender.sendMessages({ body: "w" });
    const [m] = await receiving;
    expect(m?.body).toBe("w");
    // One message asked for, one delivered: the link has no credit left.
    expect(f.broker.entity("waiting").receivers).toBe(0);
    await receiver.completeMessage(m!);
  });

  it("keeps the oldest message first when an abandoned one returns", async () => {
    const sender = f.track(f.client.createSender("ordering"));
    const receiver = f.track(f.client.createReceiver("ordering"));
    await sender.sendMessages([{ body: "a" }, { body: "b" }, { body: "c" }]);
    const [a] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    await receiver.abandonMessage(a!);
    const rest = await receiver.receiveMessages(3, { maxWaitTimeInMs: 2_000 });
    expect(rest.map((m) => m.body)).toEqual(["a", "b", "c"]);
    await Promise.all(rest.map((m) => receiver.completeMessage(m)));
  });
});

describe("queue: locks", () => {
  it("renews a lock through $management (receiver.renewMessageLock)", async () => {
    const sender = f.track(f.client.createSender("renew"));
    // The SDK renews locks by itself (maxAutoLockRenewalDurationInMs, 5 min by default); turn that off.
    const receiver = f.track(f.client.createReceiver("renew", { maxAutoLockRenewalDurationInMs: 0 }));
    await sender.sendMessages({ body: "long job" });
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    const firstUntil = m!.lockedUntilUtc!.getTime();
    await sleep(600);
    const renewed = await receiver.renewMessageLock(m!);
    expect(renewed.getTime()).toBeGreaterThan(firstUntil + 400);
    await sleep(600); // past the original lock, within the renewed one
    await receiver.completeMessage(m!);
    expect(f.broker.entity("renew")).toMatchObject({ active: 0, locked: 0 });
    expect(f.trace.some((e) => e.entity === "renew" && e.type === "lockExpired")).toBe(false);
  });

  it("redelivers when a lock expires, and the stale lock can no longer settle", async () => {
    const sender = f.track(f.client.createSender("expiry"));
    const receiver = f.track(f.client.createReceiver("expiry", { maxAutoLockRenewalDurationInMs: 0 }));
    await sender.sendMessages({ body: "slow", messageId: "ex-1" });
    const [stale] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    await waitFor(() => f.broker.entity("expiry").active === 1, 2_000, "lock expiry");

    const [again] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    expect(again!.messageId).toBe("ex-1");
    expect(again!.deliveryCount).toBe(1);
    expect(await errorCode(receiver.completeMessage(stale!))).toBe("MessageLockLost");
    expect(await errorCode(receiver.renewMessageLock(stale!))).toBe("MessageLockLost");
    await receiver.completeMessage(again!);
    expect(f.broker.entity("expiry")).toMatchObject({ active: 0, locked: 0 });
    expect(f.trace.filter((e) => e.entity === "expiry").map((e) => e.type)).toEqual(["lockExpired", "lockLost", "complete"]);
  });
});
