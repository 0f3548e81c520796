/**
 * One line per request the simulator served, so tests and benchmarks can count calls per operation.
 * Paths only: never bodies, headers or query strings, so keys and tokens cannot end up here.
 */
export interface RequestLogEntry {
  seq: number;
  /** Simulated time the request arrived (ISO). */
  time: string;
  /** Real wall-clock time it arrived (ISO). */
  wallTime: string;
  method: string;
  path: string;
  /** The request's api-version (ARM routes). */
  apiVersion?: string;
  /** SDK operation name (`onlineEndpoints.createOrUpdate`), `score`, `swagger` or `unknown`. */
  operation: string;
  /** HTTP status answered; 0 when the connection was reset by a fault. */
  status: number;
  /** Set when an injected fault decided the answer: `status`, `reset` or `provisioningError`. */
  fault?: string;
  durationMs: number;
}

export function formatRequestLine(entry: RequestLogEntry): string {
  const fault = entry.fault ? ` [fault: ${entry.fault}]` : "";
  const status = entry.status === 0 ? "reset" : String(entry.status);
  return `${entry.time} ${entry.method} ${entry.path} -> ${status} ${entry.operation}${fault} (${entry.durationMs} ms)`;
}

/** Requests per operation, e.g. `{ "onlineEndpoints.createOrUpdate": 1, "operationStatus.get": 4 }`. */
export function countByOperation(entries: readonly RequestLogEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of entries) counts[e.operation] = (counts[e.operation] ?? 0) + 1;
  return counts;
}
