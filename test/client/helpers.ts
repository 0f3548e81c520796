import { ServiceBusClient, type ServiceBusReceivedMessage } from "@azure/service-bus";
import { createNotificationPublisher } from "../../src/azure/serviceBus";
import type { DeploymentNotification } from "../../src/contracts";
import type { LocalServiceBusBroker } from "../../src/local/broker";
import { LOCAL_SERVICE_BUS_TOPOLOGY, LOCAL_SUBSCRIPTIONS, startLocalServiceBus } from "../../src/local/serviceBusTopology";
import { sampleRequest } from "../support/samples";

export const QUEUE = "deploy-requests";
export const TOPIC = "deployment-notifications";
/** A key no output may ever show (the broker accepts any key; this one is written into its connection string). */
export const SECRET_KEY = "k3y-Th4t-Must-N3ver-Be-Pr1nted-0000000000=";

export const subscriptionPath = (name: string) => `${TOPIC}/Subscriptions/${name}`;

/** The local broker with flowdeploy's topology, and a plain SDK client to look at it from the outside. */
export class LocalBus {
  broker!: LocalServiceBusBroker;
  sdk!: ServiceBusClient;

  async start(): Promise<void> {
    this.broker = await startLocalServiceBus({ sharedAccessKey: SECRET_KEY });
    this.sdk = new ServiceBusClient(this.broker.connectionString);
  }

  get connectionString(): string {
    return this.broker.connectionString;
  }

  /** Publishes as the notify activity does (src/azure/serviceBus.ts). */
  async publish(...notifications: DeploymentNotification[]): Promise<void> {
    const publisher = createNotificationPublisher(this.sdk, TOPIC);
    try {
      for (const n of notifications) await publisher.publish(n, `${n.requestId}:${n.outcome}`);
    } finally {
      await publisher.close();
    }
  }

  /**
   * Receives `count` messages in peek-lock mode and completes them: it keeps receiving until that many
   * arrived or the deadline passed (a CLI child on a loaded machine may send late), never stopping at
   * the first empty receive.
   */
  async receive(entity: string, subscription: string | undefined, count: number, deadlineMs = 20_000): Promise<ServiceBusReceivedMessage[]> {
    const receiver = subscription ? this.sdk.createReceiver(entity, subscription) : this.sdk.createReceiver(entity);
    try {
      const got: ServiceBusReceivedMessage[] = [];
      const deadline = Date.now() + deadlineMs;
      while (got.length < count && Date.now() < deadline) {
        const batch = await receiver.receiveMessages(count - got.length, { maxWaitTimeInMs: Math.max(1, Math.min(2_000, deadline - Date.now())) });
        await Promise.all(batch.map((m) => receiver.completeMessage(m)));
        got.push(...batch);
      }
      return got;
    } finally {
      await receiver.close();
    }
  }

  /** Empties the queue, every subscription and their dead-letter queues, so tests do not see each other's messages. */
  async purge(): Promise<void> {
    const paths = [QUEUE, ...Object.values(LOCAL_SUBSCRIPTIONS).map(subscriptionPath)];
    for (const path of paths.flatMap((p) => [p, `${p}/$DeadLetterQueue`])) {
      const pending = this.broker.entity(path).active;
      if (pending === 0) continue;
      const [entity, , sub] = path.replace("/$DeadLetterQueue", "").split("/");
      const options = { receiveMode: "receiveAndDelete" as const, ...(path.endsWith("$DeadLetterQueue") ? { subQueueType: "deadLetter" as const } : {}) };
      const receiver = sub ? this.sdk.createReceiver(entity!, sub, options) : this.sdk.createReceiver(entity!, options);
      await receiver.receiveMessages(pending, { maxWaitTimeInMs: 2_000 });
      await receiver.close();
    }
  }

  /** Closes the SDK client, then the broker; fails if the broker caught an exception while processing frames. */
  async stop(): Promise<void> {
    await this.sdk?.close();
    const errors = this.broker?.stats().errors ?? [];
    await this.broker?.close();
    if (errors.length > 0) throw new Error(`the broker caught errors: ${errors.join("; ")}`);
  }
}

/** The sample request with its own request id (duplicate detection remembers ids for 10 minutes). */
export function requestWithId(requestId: string): Record<string, any> {
  return { ...sampleRequest(), requestId };
}

export function notification(outcome: DeploymentNotification["outcome"], requestId: string): DeploymentNotification {
  const failed = outcome !== "Succeeded";
  return {
    schemaVersion: "1",
    outcome,
    requestId,
    instanceId: `deploy-${requestId}`,
    workspace: { subscriptionId: "00000000-1111-2222-3333-444444444444", resourceGroup: "rg-promptflow", name: "ws-promptflow" },
    endpoint: { name: "web-classify", scoringUri: "https://web-classify.westeurope.inference.ml.azure.com/score" },
    deployment: { name: "green" },
    model: { name: "web-classification", version: "3" },
    traffic: failed ? { blue: 100 } : { green: 100 },
    stages: [{ name: "endpoint", startedAt: "2026-11-23T10:00:00.000Z", endedAt: "2026-11-23T10:01:00.000Z", outcome: "Succeeded" }],
    error: failed ? { stage: "smokeTest", code: "SmokeTestFailed", message: "the answer lacked\nthe field 'category'" } : null,
    startedAt: "2026-11-23T10:00:00.000Z",
    endedAt: "2026-11-23T10:31:02.000Z",
  };
}

/** Collects what a watch handler is given, and lets a test wait for the n-th one. */
export class Collected<T> {
  readonly items: T[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  readonly add = (item: T): void => {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => (this.items.length >= w.n ? (w.resolve(), false) : true));
  };

  async count(n: number, timeoutMs = 5_000): Promise<T[]> {
    if (this.items.length < n) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${n} items within ${timeoutMs} ms, got ${this.items.length}`)), timeoutMs);
        this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    }
    return this.items;
  }
}

export { LOCAL_SERVICE_BUS_TOPOLOGY, LOCAL_SUBSCRIPTIONS };
