import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { EventType, FunctionRegistry } from "../../src/local/runner";
import { at, harness, T0 } from "./support/harness";

/**
 * callActivityWithRetry: the host (here the runner) retries, DTFx's way: a timer after every failed
 * attempt, the last one included, with delay min(first * backoff^(n-1), maxRetryInterval), and no new
 * attempt once retryTimeout has passed since the first. The library only counts ids.
 */
function retryOptions(first: number, attempts: number, extra: Partial<Pick<df.RetryOptions, "backoffCoefficient" | "maxRetryIntervalInMilliseconds" | "retryTimeoutInMilliseconds">> = {}): df.RetryOptions {
  return Object.assign(new df.RetryOptions(first, attempts), extra);
}

function appWith(failuresBeforeSuccess: number, options: df.RetryOptions): { functions: FunctionRegistry; calls: string[] } {
  const calls: string[] = [];
  const functions = new FunctionRegistry()
    .activity("flaky", async (input: unknown) => {
      calls.push(String(input));
      if (calls.length <= failuresBeforeSuccess) throw new Error(`transient failure ${calls.length}`);
      return `ok after ${calls.length}`;
    })
    .orchestration("withRetry", function* (ctx: df.OrchestrationContext) {
      try {
        const result: string = yield ctx.df.callActivityWithRetry("flaky", options, "payload");
        return { result, at: ctx.df.currentUtcDateTime.toISOString() };
      } catch (err) {
        if (!(err instanceof df.TaskFailedError)) throw err;
        return { error: err.message, at: ctx.df.currentUtcDateTime.toISOString() };
      }
    });
  return { functions, calls };
}

const timerDelays = (history: Array<{ EventType: number; Timestamp: string; FireAt?: string | undefined }>): number[] =>
  history.filter((e) => e.EventType === EventType.TimerCreated).map((e) => new Date(e.FireAt ?? 0).getTime() - new Date(e.Timestamp).getTime());

describe("callActivityWithRetry", () => {
  it("retries with exponential backoff until an attempt succeeds", async () => {
    const { functions, calls } = appWith(2, retryOptions(1_000, 5, { backoffCoefficient: 2 }));
    const { runtime, client, events } = harness(functions);
    const id = await client.startNew("withRetry");
    const status = await client.waitForCompletion(id);
    expect(status.output).toEqual({ result: "ok after 3", at: at(3_000) });
    expect(calls).toEqual(["payload", "payload", "payload"]);
    expect(timerDelays(runtime.getHistory(id))).toEqual([1_000, 2_000]);
    expect(events.filter((e) => e.type === "activityFailed" || e.type === "activityCompleted").map((e) => e.type)).toEqual(["activityFailed", "activityFailed", "activityCompleted"]);
    // Attempts and retry timers alternate on the library's counter: attempts 0, 2, 4; timers 1, 3.
    const scheduled = runtime.getHistory(id).filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated);
    expect(scheduled.map((e) => [e.EventType === EventType.TaskScheduled ? "attempt" : "timer", e.EventId])).toEqual([
      ["attempt", 0],
      ["timer", 1],
      ["attempt", 2],
      ["timer", 3],
      ["attempt", 4],
    ]);
  });

  it("gives up after maxNumberOfAttempts, after one more retry timer due at once, with the last failure", async () => {
    const { functions, calls } = appWith(Infinity, retryOptions(500, 3));
    const { runtime, client } = harness(functions);
    const id = await client.startNew("withRetry");
    const status = await client.waitForCompletion(id);
    expect(calls).toHaveLength(3);
    // A timer follows the last failed attempt too, due at once (DTFx RetryInterceptor's "Dummy timer for back-compat").
    expect(status.output).toEqual({ error: "Error: transient failure 3", at: at(1_000) });
    expect(timerDelays(runtime.getHistory(id))).toEqual([500, 500, 0]);
  });

  it("caps delays at maxRetryIntervalInMilliseconds", async () => {
    const { functions } = appWith(3, retryOptions(1_000, 4, { backoffCoefficient: 10, maxRetryIntervalInMilliseconds: 5_000 }));
    const { runtime, client } = harness(functions);
    const id = await client.startNew("withRetry");
    await client.waitForCompletion(id);
    expect(timerDelays(runtime.getHistory(id))).toEqual([1_000, 5_000, 5_000]);
  });

  it("stops calling the activity once retryTimeoutInMilliseconds has passed, failing the remaining attempts at once", async () => {
    const { functions, calls } = appWith(Infinity, retryOptions(1_000, 10, { backoffCoefficient: 2, retryTimeoutInMilliseconds: 5_000 }));
    const { client } = harness(functions);
    const id = await client.startNew("withRetry");
    const status = await client.waitForCompletion(id);
    // Attempts at 0 s, 1 s, 3 s and 7 s; at 7 s the 5 s timeout has passed: no more real attempts.
    expect(calls).toHaveLength(4);
    expect(status.output).toEqual({ error: "Error: transient failure 4", at: at(7_000) });
  });

  it("history and status agree on the run (no hidden attempts)", async () => {
    const { functions } = appWith(1, retryOptions(2_000, 2));
    const { runtime, client } = harness(functions);
    const id = await client.startNew("withRetry");
    await client.waitForCompletion(id);
    const m = runtime.instanceMetrics(id);
    expect(m.activities).toMatchObject({ calls: 2, failures: 1 });
    expect(m.timersFired).toBe(1);
    expect(new Date(m.completedAt ?? "").getTime() - new Date(T0).getTime()).toBe(2_000);
  });
});
