import { VirtualClock } from "../../../src/local/clock";
import { DurableRuntime, LocalDurableClient, type DurableRuntimeOptions, type FunctionRegistry, type RunnerEvent } from "../../../src/local/runner";

export const T0 = "2026-01-01T00:00:00.000Z";
export const MINUTE = 60_000;
export const at = (offsetMs: number, from: string = T0): string => new Date(new Date(from).getTime() + offsetMs).toISOString();

export interface Harness {
  runtime: DurableRuntime;
  client: LocalDurableClient;
  clock: VirtualClock;
  events: RunnerEvent[];
}

/** A runtime on a VirtualClock at T0 that checks its task ids against the library after every episode. */
export function harness(functions: FunctionRegistry, options: Partial<DurableRuntimeOptions> = {}): Harness {
  const clock = (options.clock as VirtualClock | undefined) ?? new VirtualClock(T0);
  const events: RunnerEvent[] = [];
  const runtime = new DurableRuntime({ functions, clock, verifyTaskIds: true, onEvent: (e) => events.push(e), ...options });
  return { runtime, client: new LocalDurableClient(runtime), clock, events };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
