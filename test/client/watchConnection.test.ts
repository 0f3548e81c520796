import { getEventListeners } from "node:events";
import { ServiceBusClient, type ServiceBusReceiver } from "@azure/service-bus";
import { afterEach, describe, expect, it } from "vitest";
import { runWatchCommand } from "../../src/cli/commands/watch";
import { createNotificationPublisher } from "../../src/azure/serviceBus";
import { startWatch } from "../../src/client/watch";
import type { LocalServiceBusBroker } from "../../src/local/broker";
import { startLocalServiceBus } from "../../src/local/serviceBusTopology";
import { memoryIO } from "../support/cli";
import { notification, SECRET_KEY, TOPIC } from "./helpers";

/**
 * `flowdeploy watch` is left running for hours: idle receives must not pile up listeners, and a
 * broker or namespace that goes away must be said at once, then reconnected to or reported.
 * Every test has its own local broker, since they stop it.
 */
const brokers: LocalServiceBusBroker[] = [];
const clients: ServiceBusClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const b of brokers.splice(0)) await b.close();
});
const startBroker = async (port = 0) => {
  const broker = await startLocalServiceBus({ port, sharedAccessKey: SECRET_KEY });
  brokers.push(broker);
  return broker;
};
const until = async (what: string, ok: () => boolean, timeoutMs = 10_000, detail?: () => string) => {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${detail ? `: ${detail()}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Until the watch's receive link is attached and has asked for messages: the broker sees its credit. */
const receiving = (broker: LocalServiceBusBroker) =>
  until("the watch's receive link", () => broker.entity(`${TOPIC}/Subscriptions/flowdeploy-cli`).receivers >= 1);

describe("idle receives", () => {
  it("add no abort listener that outlives its receive (no MaxListenersExceededWarning)", async () => {
    const broker = await startBroker();
    const sdk = new ServiceBusClient(broker.connectionString);
    clients.push(sdk);
    const receiver = sdk.createReceiver(TOPIC, "flowdeploy-cli");
    // Every signal the watch hands the SDK, to count the listeners left on each.
    const signals: AbortSignal[] = [];
    const receive = receiver.receiveMessages.bind(receiver);
    (receiver as { receiveMessages: ServiceBusReceiver["receiveMessages"] }).receiveMessages = (n, options) => {
      if (options?.abortSignal) signals.push(options.abortSignal as AbortSignal);
      return receive(n, options);
    };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    const caller = new AbortController();
    try {
      // 20 ms instead of 60 s per receive: 40 idle receives are 40 idle minutes of a real watch.
      const handle = await startWatch(receiver, { subscription: "flowdeploy-cli", signal: caller.signal, receiveWaitMs: 20 }, () => undefined);
      await until("40 idle receives", () => signals.length >= 40, 30_000);
      const most = Math.max(...signals.map((s) => getEventListeners(s, "abort").length));
      // Before: one signal for every receive, holding one more listener after each (40 here).
      expect(most).toBeGreaterThanOrEqual(1);
      expect(most).toBeLessThanOrEqual(2);
      expect(getEventListeners(caller.signal, "abort")).toHaveLength(1);
      await handle.stop();
      expect(getEventListeners(caller.signal, "abort")).toHaveLength(0);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  }, 40_000);
});

describe("flowdeploy watch when the broker drops", () => {
  it("says so on stderr at once, reconnects when the broker is back, and prints what arrives then", async () => {
    const first = await startBroker();
    const { port, connectionString } = first;
    const { io, text } = memoryIO();
    const stop = new AbortController();
    const running = runWatchCommand({ connectionString }, io, {}, stop.signal);
    await until("the watch to start", () => text().stderr.includes("watching"));
    // Once its receive link is attached. A drop while the SDK is still attaching it is reported as at
    // once, but the SDK's pending attach takes up to a minute to give up before the watch can receive again.
    await receiving(first);

    await first.close();
    // Before: nothing at all until the 60 s receive ended (then an error, or silence if the broker was back).
    await until("the drop to be reported", () => text().stderr.includes("lost the connection"), 5_000, () => JSON.stringify(text()));
    expect(text().stderr.split("\n")[1]).toBe(`flowdeploy watch: lost the connection to 127.0.0.1:${port} (closed by the namespace); reconnecting`);

    const second = await startBroker(port);
    await until("the reconnection", () => text().stderr.includes("reconnected"), 15_000);
    expect(text().stderr.split("\n")[2]).toBe(`flowdeploy watch: reconnected to 127.0.0.1:${port}; watching subscription 'flowdeploy-cli' of topic '${TOPIC}' again`);

    const sdk = new ServiceBusClient(second.connectionString);
    clients.push(sdk);
    const publisher = createNotificationPublisher(sdk, TOPIC);
    await publisher.publish(notification("Succeeded", "after-the-drop"), "after-the-drop:Succeeded");
    await publisher.close();
    await until("the notification to be printed", () => text().stdout.includes("request=after-the-drop"));

    stop.abort();
    expect(await running).toBe(0);
    expect(text().stderr).not.toContain(SECRET_KEY);
  }, 40_000);

  it("ends with exit 1 and a line naming the error when the broker does not come back", async () => {
    const broker = await startBroker();
    const { io, text } = memoryIO();
    const running = runWatchCommand({ connectionString: broker.connectionString }, io, {}, undefined, { reconnectForMs: 1_500 });
    await until("the watch to start", () => text().stderr.includes("watching"));
    await receiving(broker); // its receive link attached (see above)
    await broker.close();
    expect(await running).toBe(1);
    const lines = text().stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^flowdeploy watch: lost the connection to 127\.0\.0\.1:\d+ \(closed by the namespace\); reconnecting$/);
    expect(lines[2]).toMatch(/^flowdeploy watch: cannot reconnect: subscription 'flowdeploy-cli' of topic 'deployment-notifications' in 127\.0\.0\.1:\d+: .*ECONN(REFUSED|RESET)/);
    expect(text().stderr).not.toContain(SECRET_KEY);
  }, 20_000);

  it("reports a dropped socket (the broker's process died) the same way", async () => {
    const broker = await startBroker();
    const { io, text } = memoryIO();
    const running = runWatchCommand({ connectionString: broker.connectionString }, io, {}, undefined, { reconnectForMs: 1_000 });
    await until("the watch to start", () => text().stderr.includes("watching"));
    await receiving(broker); // its receive link attached (see above)
    // What a killed process leaves: sockets cut without an AMQP close.
    for (const socket of (broker as unknown as { sockets: Set<{ destroy(): void }> }).sockets) socket.destroy();
    await broker.close();
    expect(await running).toBe(1);
    expect(text().stderr).toMatch(/lost the connection to 127\.0\.0\.1:\d+ \(the network connection dropped[^)]*\); reconnecting\n/);
    expect(text().stderr).toMatch(/cannot reconnect: /);
  }, 20_000);
});
