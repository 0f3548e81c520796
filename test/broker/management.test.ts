import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BrokerFixture, errorCode } from "./helpers";

/** `$management` operations through the real SDK: defer, settle after the link closed, peek, schedule. */
const f = new BrokerFixture();

beforeAll(() =>
  f.start({
    queues: [{ name: "deferred" }, { name: "detached" }, { name: "peek" }, { name: "scheduled" }],
    topics: [{ name: "later", subscriptions: [{ name: "s" }] }],
  }),
);
afterEach(() => f.closeTracked());
afterAll(() => f.stop());

describe("$management", () => {
  it("defers a message, receives it by sequence number and completes it through update-disposition", async () => {
    const sender = f.track(f.client.createSender("deferred"));
    const receiver = f.track(f.client.createReceiver("deferred"));
    await sender.sendMessages({ body: "wait for me", messageId: "d-1" });
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    await receiver.deferMessage(m!);
    expect(f.broker.entity("deferred")).toMatchObject({ active: 0, locked: 0, deferred: 1 });

    const [d] = await receiver.receiveDeferredMessages(m!.sequenceNumber!);
    expect(d).toMatchObject({ messageId: "d-1", body: "wait for me", state: "deferred" });
    expect(d!.lockToken).toBeDefined();
    // A deferred message has no delivery on a link: the SDK settles it over $management.
    await receiver.completeMessage(d!);
    expect(f.broker.entity("deferred")).toMatchObject({ active: 0, locked: 0, deferred: 0 });
    expect(f.trace.filter((e) => e.entity === "deferred").map((e) => e.type)).toEqual(["defer", "complete"]);

    expect(await errorCode(receiver.receiveDeferredMessages(m!.sequenceNumber!))).toBe("MessageNotFound");
  });

  it("settles through $management after the receiver link was detached", async () => {
    const sender = f.track(f.client.createSender("detached"));
    const receiver = f.track(f.client.createReceiver("detached"));
    await sender.sendMessages([{ body: 1, messageId: "x-1" }, { body: 2, messageId: "x-2" }]);
    const got = await receiver.receiveMessages(2, { maxWaitTimeInMs: 2_000 });
    expect(got).toHaveLength(2);
    // Service Bus force-detaches links (idle, entity update); the SDK then settles by lock token.
    expect(f.broker.detachReceivers("detached")).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    const viaManagement = () => f.broker.stats().managementRequests["update-disposition"] ?? 0;
    const before = viaManagement();
    await receiver.completeMessage(got[0]!);
    await receiver.deadLetterMessage(got[1]!, { deadLetterReason: "Late", deadLetterErrorDescription: "settled after detach" });
    expect(viaManagement() - before).toBe(2);
    expect(f.broker.entity("detached")).toMatchObject({ active: 0, locked: 0, deadLettered: 1 });
    expect(f.broker.deadLetters("detached")).toMatchObject([{ messageId: "x-2", reason: "Late", description: "settled after detach" }]);
    // The receiver attaches a new link for the next receive.
    await sender.sendMessages({ body: 3 });
    const [next] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    expect(next!.body).toBe(3);
    await receiver.completeMessage(next!);
  });

  it("peeks without locking, in sequence order", async () => {
    const sender = f.track(f.client.createSender("peek"));
    const receiver = f.track(f.client.createReceiver("peek"));
    expect(await receiver.peekMessages(5)).toEqual([]);
    await sender.sendMessages([{ body: "p1" }, { body: "p2" }, { body: "p3" }]);
    const first = await receiver.peekMessages(2);
    expect(first.map((m) => m.body)).toEqual(["p1", "p2"]);
    const next = await receiver.peekMessages(5);
    expect(next.map((m) => m.body)).toEqual(["p3"]);
    const fromStart = await receiver.peekMessages(10, { fromSequenceNumber: first[0]!.sequenceNumber! });
    expect(fromStart.map((m) => m.sequenceNumber!.toNumber())).toEqual([1, 2, 3]);
    expect(f.broker.entity("peek")).toMatchObject({ active: 3, locked: 0 });
  });

  it("schedules and cancels scheduled messages on a queue", async () => {
    const sender = f.track(f.client.createSender("scheduled"));
    const receiver = f.track(f.client.createReceiver("scheduled"));
    const soon = new Date(Date.now() + 300);
    const [seq] = await sender.scheduleMessages({ body: "soon", messageId: "s-1" }, soon);
    const [cancelled] = await sender.scheduleMessages({ body: "never" }, new Date(Date.now() + 60_000));
    expect(f.broker.entity("scheduled")).toMatchObject({ active: 0, scheduled: 2 });
    const peeked = await receiver.peekMessages(5);
    expect(peeked.map((m) => [m.body, m.state])).toEqual([
      ["soon", "scheduled"],
      ["never", "scheduled"],
    ]);
    await sender.cancelScheduledMessages(cancelled!);
    expect(f.broker.entity("scheduled").scheduled).toBe(1);

    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    expect(m).toMatchObject({ body: "soon", messageId: "s-1", state: "active" });
    expect(m!.sequenceNumber!.toNumber()).toBe(seq!.toNumber());
    expect(m!.enqueuedTimeUtc!.getTime()).toBeGreaterThanOrEqual(soon.getTime() - 5);
    await receiver.completeMessage(m!);
    expect(f.broker.entity("scheduled")).toMatchObject({ active: 0, locked: 0, scheduled: 0 });
  });

  it("enqueues a message sent with scheduledEnqueueTimeUtc on a topic at that time", async () => {
    const sender = f.track(f.client.createSender("later"));
    await sender.sendMessages({ body: "t", scheduledEnqueueTimeUtc: new Date(Date.now() + 200) });
    expect(f.broker.entity("later")).toMatchObject({ scheduled: 1, active: 0 });
    const receiver = f.track(f.client.createReceiver("later", "s", { receiveMode: "receiveAndDelete" }));
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3_000 });
    expect(m!.body).toBe("t");
    expect(f.broker.entity("later")).toMatchObject({ scheduled: 0, active: 0 });
  });
});
