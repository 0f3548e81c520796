import { createServer } from "node:net";
import { ServiceBusClient } from "@azure/service-bus";
import { describe, expect, it } from "vitest";
import { startBroker } from "../../src/local/broker";
import { errorCode, waitFor } from "./helpers";

/** Connecting, unknown entities, auto-create, and shutting down cleanly. */

/** Live sockets and servers bound to or connected to `port` (Node's handle list; Node 20 still exposes it). */
function handlesOnPort(port: number): number {
  const handles: any[] = (process as any)._getActiveHandles();
  return handles.filter((h) => h?.localPort === port || h?.remotePort === port || (typeof h?.address === "function" && h.address()?.port === port)).length;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

describe("broker lifecycle", () => {
  it("fails like Service Bus for unknown entities (MessagingEntityNotFound)", async () => {
    const broker = await startBroker({ queues: [{ name: "known" }], topics: [{ name: "topic", subscriptions: [{ name: "sub" }] }] });
    const client = new ServiceBusClient(broker.connectionString);
    try {
      expect(await errorCode(client.createSender("missing").sendMessages({ body: 1 }))).toBe("MessagingEntityNotFound");
      const receiver = client.createReceiver("missing");
      expect(await errorCode(receiver.receiveMessages(1, { maxWaitTimeInMs: 500 }))).toBe("MessagingEntityNotFound");
      await receiver.close();
      const sub = client.createReceiver("topic", "nosuchsub");
      expect(await errorCode(sub.receiveMessages(1, { maxWaitTimeInMs: 500 }))).toBe("MessagingEntityNotFound");
      await sub.close();
      // Known entities still work on the same connection; names are case-insensitive.
      const sender = client.createSender("KNOWN");
      await sender.sendMessages({ body: 1 });
      await sender.close();
      expect(broker.entity("known").active).toBe(1);
      expect(() => broker.entity("missing")).toThrow(/no entity/);
      // Sessions are not implemented: the attach is refused at once instead of hanging.
      await expect(client.acceptSession("known", "s-1")).rejects.toThrow(/does not implement sessions/);
    } finally {
      await client.close();
      await broker.close();
    }
  });

  it("creates queues and topic subscriptions on first attach when autoCreateEntities is on", async () => {
    const broker = await startBroker({ autoCreateEntities: true, defaults: { maxDeliveryCount: 2 } });
    const client = new ServiceBusClient(broker.connectionString);
    try {
      const q = client.createSender("fresh-queue");
      await q.sendMessages({ body: "hi" });
      await q.close();
      expect(broker.entity("fresh-queue")).toMatchObject({ kind: "queue", active: 1 });

      // A subscription path creates the topic and the subscription; attach the receiver before sending.
      const receiver = client.createReceiver("fresh-topic", "audit", { receiveMode: "receiveAndDelete" });
      expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 100 })).toEqual([]);
      const t = client.createSender("fresh-topic");
      await t.sendMessages({ body: "to topic" });
      await t.close();
      const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
      expect(m!.body).toBe("to topic");
      await receiver.close();
      expect(broker.entity("fresh-topic")).toMatchObject({ kind: "topic", subscriptions: ["audit"] });
    } finally {
      await client.close();
      await broker.close();
    }
  });

  it("close() ends the connections, frees the port and leaves no socket behind", async () => {
    const broker = await startBroker({ queues: [{ name: "q" }] });
    const port = broker.port;
    expect(broker.connectionString).toBe(
      `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=local;SharedAccessKey=local-broker-key;UseDevelopmentEmulator=true`,
    );
    const client = new ServiceBusClient(broker.connectionString);
    const sender = client.createSender("q");
    await sender.sendMessages({ body: 1 });
    const receiver = client.createReceiver("q");
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 });
    await receiver.completeMessage(m!);
    expect(broker.stats().connections).toBe(1);
    expect(handlesOnPort(port)).toBeGreaterThan(0);
    await client.close();
    await waitFor(() => broker.stats().connections === 0, 2_000, "the client to disconnect");

    await broker.close();
    await broker.close(); // idempotent
    expect(await portIsFree(port)).toBe(true);
    await waitFor(() => handlesOnPort(port) === 0, 2_000, "sockets on the broker port to be released");
  });

  it("close() does not wait for clients that are still connected", async () => {
    const broker = await startBroker({ queues: [{ name: "q" }] });
    const client = new ServiceBusClient(broker.connectionString, { retryOptions: { maxRetries: 0 } });
    const sender = client.createSender("q");
    await sender.sendMessages({ body: 1 });
    const started = Date.now();
    await broker.close();
    // Waiting for the client would hang until it closes (below): any bound well under the test's timeout shows it does not.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await portIsFree(broker.port)).toBe(true);
    await client.close();
  });
});
