import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as functionsPkg from "@azure/functions";
import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { ActionType, assertSupportedDurableFunctionsVersion, DURABLE_FUNCTIONS_VERSION, EventType, FunctionRegistry, replayHistory, TaskIdMismatchError, UnsupportedDurableFunctionsVersionError } from "../../src/local/runner";
import { libraryEnums } from "../../src/local/runner/durableEngine";
import { newExecutionState, runEpisode } from "../../src/local/runner/episode";
import { ReplaySchema } from "../../src/local/runner/wire";
import { harness, MINUTE } from "./support/harness";

/**
 * Fails loudly when a durable-functions upgrade breaks what the runner assumes about the library:
 * its version line, its wire numbers, how registrations can be captured, and — the subtle one — how it
 * numbers tasks (retry timers and attempts, long-timer chunks, signals, lock releases all take ids).
 */
const DAY = 24 * 60 * MINUTE;

describe("durable-functions version", () => {
  it("is the 3.5 line the runner was written against, pinned ~3.5.0", () => {
    expect(DURABLE_FUNCTIONS_VERSION).toMatch(/^3\.5\.\d+$/);
    const pkg = JSON.parse(readFileSync(resolve(__dirname, "../../package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(pkg.dependencies["durable-functions"]).toBe("~3.5.0");
    expect(() => assertSupportedDurableFunctionsVersion()).not.toThrow();
    expect(() => assertSupportedDurableFunctionsVersion("3.6.0")).toThrow(UnsupportedDurableFunctionsVersionError);
  });
});

describe("wire constants", () => {
  it("match the library's own enums", () => {
    const lib = libraryEnums();
    expect(lib.eventTypes).toEqual(EventType);
    expect(lib.actionTypes).toEqual(ActionType);
    expect(lib.replaySchemas).toEqual(ReplaySchema);
  });
});

describe("registration capture", () => {
  it("captures df.app.orchestration/activity/entity with the wrapped handlers, and restores app.generic", () => {
    const original = (functionsPkg.app as unknown as { generic: unknown }).generic;
    const registry = new FunctionRegistry();
    registry.capture(() => {
      df.app.orchestration("canaryOrchestration", function* (ctx: df.OrchestrationContext) {
        yield ctx.df.callActivity("canaryActivity");
      });
      df.app.activity("canaryActivity", { handler: async () => 1 });
      df.app.entity("CanaryEntity", () => undefined);
    });
    expect(registry.names()).toEqual({ orchestrations: ["canaryOrchestration"], activities: ["canaryActivity"], entities: ["canaryentity"] });
    expect((functionsPkg.app as unknown as { generic: unknown }).generic).toBe(original);
  });
});

describe("task ids: the runner's counter against the library's", () => {
  let failsOnce = 0;
  const functions = new FunctionRegistry()
    .activity("alwaysFails", async () => {
      throw new Error("permanent");
    })
    .activity("failsOnce", async () => {
      if (failsOnce++ === 0) throw new Error("transient");
      return "recovered";
    })
    .activity("echo", async (input: unknown) => input)
    .entity("endpointLock", () => undefined)
    .entity("audit", () => undefined)
    .orchestration("canary", function* (ctx: df.OrchestrationContext) {
      // 13 days > 6: LongTimerTask chunks at +3, +6, +9 days, then the final 13 (one id each).
      const long = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 13 * DAY));
      const doomed = ctx.df.callActivityWithRetry("alwaysFails", new df.RetryOptions(60_000, 3), null);
      const flaky = ctx.df.callActivityWithRetry("failsOnce", Object.assign(new df.RetryOptions(1_000, 3), { backoffCoefficient: 2 }), null);
      let firstError = "";
      try {
        yield ctx.df.Task.all([doomed, flaky]);
      } catch (err) {
        firstError = err instanceof Error ? err.message : String(err);
      }
      ctx.df.signalEntity(new df.EntityId("audit", "x"), "note", "signal takes an id");
      const lock: df.DurableLock = yield ctx.df.lock(new df.EntityId("endpointLock", "a"), new df.EntityId("endpointLock", "b"));
      lock.release(); // one id per locked entity
      yield long;
      const last: string = yield ctx.df.callActivity("echo", "done");
      return { firstError, flaky: flaky.isCompleted ? flaky.result : null, last };
    });

  it("stay in step through retries, long-timer chunks, a signal and a lock release (checked after every episode)", async () => {
    const { runtime, client } = harness(functions); // verifyTaskIds: true
    const id = await client.startNew("canary");
    const status = await client.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ firstError: "Error: permanent", flaky: "recovered", last: "done" });

    const scheduled = runtime.getHistory(id).filter((e) => e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated || e.EventType === EventType.EventSent);
    // Every id the host recorded is the library's: contiguous from 0, each once.
    expect(scheduled.map((e) => e.EventId)).toEqual(scheduled.map((_, i) => i));
    expect(scheduled.filter((e) => e.Origin === "longTimer")).toHaveLength(4);
    expect(scheduled.filter((e) => e.Origin === "retry" && e.EventType === EventType.TimerCreated)).toHaveLength(3 + 1);

    // The recorded history replays with the same check.
    await expect(replayHistory(functions.orchestrations.get("canary") as never, runtime.getHistory(id), { verifyTaskIds: true })).resolves.toMatchObject({ outcome: { status: "completed" } });
  });

  it("the check does fail when the runner's counter is off by one", async () => {
    const handler = functions.orchestrations.get("canary");
    if (!handler) throw new Error("not registered");
    const state = newExecutionState({ instanceId: "off-by-one", name: "canary", inputJson: undefined });
    state.nextTaskId = 1;
    await expect(runEpisode(handler, state, [], "2026-01-01T00:00:00.000Z", { verifyTaskIds: true })).rejects.toThrow(TaskIdMismatchError);
  });
});
