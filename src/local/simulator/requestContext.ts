import type { IncomingHttpHeaders } from "node:http";
import type { SimState } from "./stateStore";

/** What a handler gets: the store, the simulated "now" of this request, and the parsed request. */
export interface RequestContext {
  state: SimState;
  now: Date;
  /** `https://127.0.0.1:PORT`: every URL the simulator hands out points back at itself. */
  baseUrl: string;
  method: string;
  /** Normalized path (no duplicate or trailing slashes). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
  /** Path parameters of the matched route. */
  params: Record<string, string>;
  /**
   * The Retry-After value for a simulated wait. Clients sleep in real time, so on a scaled clock the
   * simulated seconds are divided by the scale; on a virtual clock they are passed as they are.
   */
  retryAfter(simulatedSeconds: number): string;
  /** Set by a handler that let an injected fault decide the outcome (shown in the request log). */
  appliedFault?: string;
}

export function requireParam(ctx: RequestContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`route parameter ${name} missing`);
  return value;
}
