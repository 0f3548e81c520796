import { ServiceBusClient } from "@azure/service-bus";
import { startBroker, type LocalServiceBusBroker } from "../../src/local/broker";
import type { BrokerOptions, BrokerTraceEvent } from "../../src/local/broker";

interface Closable {
  close(): Promise<void>;
}

/** One broker and one real ServiceBusClient per test file; receivers and senders closed after each test. */
export class BrokerFixture {
  broker!: LocalServiceBusBroker;
  client!: ServiceBusClient;
  readonly trace: BrokerTraceEvent[] = [];
  private readonly open: Closable[] = [];

  async start(options: BrokerOptions): Promise<void> {
    this.broker = await startBroker({ ...options, trace: (e) => this.trace.push(e) });
    this.client = new ServiceBusClient(this.broker.connectionString);
  }

  /** Registers a sender or receiver to be closed after the current test. */
  track<T extends Closable>(x: T): T {
    this.open.push(x);
    return x;
  }

  async closeTracked(): Promise<void> {
    const all = this.open.splice(0);
    await Promise.all(all.map((x) => x.close()));
  }

  /** Closes everything; fails if the broker caught an exception while processing frames. */
  async stop(): Promise<void> {
    await this.closeTracked();
    await this.client?.close();
    const errors = this.broker?.stats().errors ?? [];
    await this.broker?.close();
    if (errors.length > 0) throw new Error(`the broker caught errors: ${errors.join("; ")}`);
  }
}

/** Polls `predicate` every 10 ms until it holds or `timeoutMs` passes. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The error code a ServiceBusError carries (`MessagingEntityNotFound`, `MessageLockLost`, ...). */
export async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).name;
  }
  return undefined;
}
