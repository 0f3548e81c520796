/** What every entity shares with the broker: counters and the optional trace callback. */
import type { BrokerTraceEvent, BrokerTraceType } from "./options";

export interface Counters {
  received: number;
  duplicatesDropped: number;
  delivered: number;
  completed: number;
  abandoned: number;
  deferred: number;
  deadLettered: number;
  locksExpired: number;
}

export interface TraceFields {
  messageId: string | undefined;
  sequenceNumber: number | undefined;
  deliveries: number;
  reason?: string;
  description?: string;
}

export class BrokerContext {
  readonly counters: Counters = {
    received: 0,
    duplicatesDropped: 0,
    delivered: 0,
    completed: 0,
    abandoned: 0,
    deferred: 0,
    deadLettered: 0,
    locksExpired: 0,
  };

  /** Exceptions rhea caught while processing frames (a broker bug or a protocol error); the last 20. */
  readonly errors: string[] = [];

  /** `$management` requests by operation (without the `com.microsoft:` prefix). */
  readonly managementRequests: Record<string, number> = {};

  constructor(private readonly traceCallback?: (event: BrokerTraceEvent) => void) {}

  recordError(e: unknown): void {
    this.errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    if (this.errors.length > 20) this.errors.shift();
  }

  trace(type: BrokerTraceType, entity: string, fields: TraceFields): void {
    if (!this.traceCallback) return;
    const event: BrokerTraceEvent = { type, entity, ...fields, at: new Date() };
    try {
      this.traceCallback(event);
    } catch {
      // A failing trace callback must not break message flow; tests see the failure in their own assertions.
    }
  }
}
