import type { ServiceBusReceivedMessage } from "@azure/service-bus";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BrokerFixture, waitFor } from "./helpers";

/** Topics and subscriptions: fan-out, correlation filters, subscribe() semantics, duplicates, load. */
const f = new BrokerFixture();

beforeAll(() =>
  f.start({
    queues: [{ name: "trigger", maxDeliveryCount: 3 }, { name: "competing" }],
    topics: [
      { name: "fanout", subscriptions: [{ name: "one" }, { name: "two" }, { name: "three" }] },
      {
        name: "routed",
        subscriptions: [
          { name: "succeeded", filter: { correlation: { applicationProperties: { outcome: "Succeeded" } } } },
          { name: "failed-prod", filter: { correlation: { applicationProperties: { outcome: "Failed", env: "prod" } } } },
          { name: "by-subject", filter: { correlation: { subject: "Rejected" } } },
          { name: "everything" },
        ],
      },
      { name: "notifications", requiresDuplicateDetection: true, subscriptions: [{ name: "audit" }, { name: "ops" }] },
      { name: "load", subscriptions: [{ name: "all" }] },
    ],
  }),
);
afterEach(() => f.closeTracked());
afterAll(() => f.stop());

async function drain(path: [string, string], n: number): Promise<ServiceBusReceivedMessage[]> {
  const receiver = f.track(f.client.createReceiver(path[0], path[1], { receiveMode: "receiveAndDelete" }));
  return n === 0 ? receiver.receiveMessages(1, { maxWaitTimeInMs: 200 }) : receiver.receiveMessages(n, { maxWaitTimeInMs: 2_000 });
}

describe("topics", () => {
  it("gives every subscription its own copy", async () => {
    const sender = f.track(f.client.createSender("fanout"));
    await sender.sendMessages([{ body: "a", messageId: "f-1" }, { body: "b" }]);
    expect(f.broker.entity("fanout")).toMatchObject({ kind: "topic", active: 6, subscriptions: ["one", "two", "three"] });

    // Settling one subscription's copy does not touch the others.
    const one = f.track(f.client.createReceiver("fanout", "one"));
    const got = await one.receiveMessages(2, { maxWaitTimeInMs: 2_000 });
    expect(got.map((m) => m.body)).toEqual(["a", "b"]);
    await Promise.all(got.map((m) => one.completeMessage(m)));
    expect(f.broker.entity("fanout/Subscriptions/one").active).toBe(0);
    expect(f.broker.entity("fanout/subscriptions/TWO").active).toBe(2);
    const three = await drain(["fanout", "three"], 2);
    expect(three[0]!.messageId).toBe("f-1");
    // The copies share the topic's sequence numbers.
    expect(three.map((m) => m.sequenceNumber!.toNumber())).toEqual(got.map((m) => m.sequenceNumber!.toNumber()));
  });

  it("routes by correlation filter on application properties and system properties", async () => {
    const sender = f.track(f.client.createSender("routed"));
    await sender.sendMessages([
      { body: 1, applicationProperties: { outcome: "Succeeded", env: "prod" } },
      { body: 2, applicationProperties: { outcome: "Failed", env: "prod" } },
      { body: 3, applicationProperties: { outcome: "Failed", env: "dev" } },
      { body: 4, applicationProperties: { outcome: "Rejected" }, subject: "Rejected" },
      // Types matter: the string "Succeeded" only, not another value.
      { body: 5, applicationProperties: { outcome: 1 } },
    ]);
    expect((await drain(["routed", "succeeded"], 1)).map((m) => m.body)).toEqual([1]);
    expect((await drain(["routed", "failed-prod"], 1)).map((m) => m.body)).toEqual([2]);
    expect((await drain(["routed", "by-subject"], 1)).map((m) => m.body)).toEqual([4]);
    expect((await drain(["routed", "everything"], 5)).map((m) => m.body)).toEqual([1, 2, 3, 4, 5]);
    for (const s of ["succeeded", "failed-prod", "by-subject", "everything"]) {
      expect(f.broker.entity(`routed/Subscriptions/${s}`).active).toBe(0);
    }
  });

  it("drops a repeated messageId on a topic with duplicate detection (one notification per outcome)", async () => {
    const sender = f.track(f.client.createSender("notifications"));
    // The notify activity retried: same deterministic messageId twice; the sender sees success both times.
    await sender.sendMessages({ body: { outcome: "Succeeded" }, messageId: "deploy-1:Succeeded" });
    await sender.sendMessages({ body: { outcome: "Succeeded" }, messageId: "deploy-1:Succeeded" });
    await sender.sendMessages([
      { body: { outcome: "Failed" }, messageId: "deploy-2:Failed" },
      { body: { outcome: "Failed" }, messageId: "deploy-2:Failed" },
    ]);
    expect((await drain(["notifications", "audit"], 2)).map((m) => m.messageId)).toEqual(["deploy-1:Succeeded", "deploy-2:Failed"]);
    expect((await drain(["notifications", "ops"], 2)).map((m) => m.messageId)).toEqual(["deploy-1:Succeeded", "deploy-2:Failed"]);
    expect(await drain(["notifications", "audit"], 0)).toEqual([]);
    expect(f.trace.filter((e) => e.type === "duplicateDropped").map((e) => [e.entity, e.messageId])).toEqual([
      ["notifications", "deploy-1:Succeeded"],
      ["notifications", "deploy-2:Failed"],
    ]);
    expect(f.broker.stats().duplicatesDropped).toBe(2);
  });
});

describe("subscribe()", () => {
  it("redelivers when the handler throws, then dead-letters after maxDeliveryCount (the Functions trigger contract)", async () => {
    const sender = f.track(f.client.createSender("trigger"));
    const receiver = f.track(f.client.createReceiver("trigger"));
    const seen: number[] = [];
    const errors: string[] = [];
    const sub = receiver.subscribe(
      {
        processMessage: async (m) => {
          seen.push(m.deliveryCount!);
          throw new Error("transient failure");
        },
        processError: async (args) => {
          errors.push(args.error.message);
        },
      },
      { maxConcurrentCalls: 1 },
    );
    await sender.sendMessages({ body: { request: 1 }, messageId: "req-1" });
    await waitFor(() => f.broker.entity("trigger").deadLettered === 1, 5_000, "dead-lettering");
    await sub.close();
    // subscribe() abandons when the handler throws: deliveryCount 0, 1, 2, then MaxDeliveryCountExceeded.
    expect(seen).toEqual([0, 1, 2]);
    expect(errors).toEqual(["transient failure", "transient failure", "transient failure"]);
    expect(f.broker.deadLetters("trigger")).toMatchObject([{ messageId: "req-1", reason: "MaxDeliveryCountExceeded" }]);
  });

  it("moves 300 messages through a subscription with maxConcurrentCalls 8 (throughput: `npm run bench -- --only=load`)", async () => {
    const sender = f.track(f.client.createSender("load"));
    const receiver = f.track(f.client.createReceiver("load", "all"));
    const n = 300;
    const started = Date.now();
    await Promise.all(Array.from({ length: n }, (_, i) => sender.sendMessages({ body: { i }, messageId: `load-${i}` })));
    const seen = new Set<number>();
    let inFlight = 0;
    let maxInFlight = 0;
    const sub = receiver.subscribe(
      {
        processMessage: async (m) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setImmediate(r));
          seen.add((m.body as { i: number }).i);
          inFlight--;
        },
        processError: async () => undefined,
      },
      { maxConcurrentCalls: 8 },
    );
    // A deadline, not a speed target: the benchmark measures throughput; here 300 must all arrive.
    await waitFor(() => f.broker.stats().completed >= n && seen.size === n, 25_000, "300 completions");
    const elapsed = Date.now() - started;
    await sub.close();
    expect(seen.size).toBe(n);
    expect(maxInFlight).toBeLessThanOrEqual(8);
    expect(f.broker.entity("load/Subscriptions/all")).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
    console.info(`300 messages through a subscription: ${elapsed} ms wall`);
  });

  it("shares a queue between competing subscribers without delivering a message twice", async () => {
    const sender = f.track(f.client.createSender("competing"));
    const n = 400;
    const batch = await sender.createMessageBatch();
    for (let i = 0; i < n; i++) expect(batch.tryAddMessage({ body: i, messageId: `c-${i}` })).toBe(true);
    await sender.sendMessages(batch);
    const counts = new Map<string, number>();
    const byReceiver = [0, 0];
    const subs = [0, 1].map((r) =>
      f.track(f.client.createReceiver("competing")).subscribe(
        {
          processMessage: async (m) => {
            byReceiver[r]!++;
            counts.set(String(m.messageId), (counts.get(String(m.messageId)) ?? 0) + 1);
          },
          processError: async () => undefined,
        },
        { maxConcurrentCalls: 8 },
      ),
    );
    await waitFor(() => f.broker.entity("competing").active + f.broker.entity("competing").locked === 0, 5_000, "the queue to empty");
    await Promise.all(subs.map((s) => s.close()));
    expect(counts.size).toBe(n);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect(byReceiver[0]! + byReceiver[1]!).toBe(n);
    expect(Math.min(...byReceiver)).toBeGreaterThan(0);
  });
});
