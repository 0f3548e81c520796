import type * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { FunctionRegistry } from "../../src/local/runner";
import { at, harness, MINUTE } from "./support/harness";

/**
 * The monitor pattern the deployment uses: poll an activity every minute until it reports a terminal
 * state, racing every step against one deadline timer. Whichever timer loses is cancelled; a cancelled
 * timer must not move the virtual clock.
 */
interface PollInput {
  readyAfterPolls: number;
  deadlineMs: number;
}

const functions = new FunctionRegistry()
  .activity("getState", async (input: unknown) => {
    const { attempt, readyAfterPolls } = input as { attempt: number; readyAfterPolls: number };
    return attempt >= readyAfterPolls ? "Succeeded" : "Running";
  })
  .orchestration("waitUntilReady", function* (ctx: df.OrchestrationContext) {
    const { readyAfterPolls, deadlineMs } = ctx.df.getInput<PollInput>();
    const deadline = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + deadlineMs));
    for (let attempt = 1; ; attempt++) {
      const poll = ctx.df.callActivity("getState", { attempt, readyAfterPolls });
      const first: unknown = yield ctx.df.Task.any([poll, deadline]);
      if (first === deadline) return { result: "timedOut", attempt, at: ctx.df.currentUtcDateTime.toISOString() };
      if (poll.result === "Succeeded") {
        deadline.cancel();
        return { result: "ready", attempt, at: ctx.df.currentUtcDateTime.toISOString() };
      }
      const pause = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + MINUTE));
      const next: unknown = yield ctx.df.Task.any([pause, deadline]);
      if (next === deadline) {
        pause.cancel();
        return { result: "timedOut", attempt, at: ctx.df.currentUtcDateTime.toISOString() };
      }
    }
  });

describe("WhenAny: activity-poll loop against a deadline timer", () => {
  it("the poll loop wins: the deadline is cancelled and the clock never jumps to it", async () => {
    const { runtime, client, clock, events } = harness(functions);
    const id = await client.startNew("waitUntilReady", { input: { readyAfterPolls: 3, deadlineMs: 30 * MINUTE } });
    const status = await client.waitForCompletion(id);
    expect(status.output).toEqual({ result: "ready", attempt: 3, at: at(2 * MINUTE) });
    expect(clock.now().toISOString()).toBe(at(2 * MINUTE));

    const deadlineTimer = events.find((e) => e.type === "timerCreated" && e.fireAt === at(30 * MINUTE));
    expect(deadlineTimer).toBeDefined();
    const canceled = events.filter((e) => e.type === "timerCanceled").map((e) => (e.type === "timerCanceled" ? e.taskId : -1));
    expect(canceled).toEqual([deadlineTimer?.type === "timerCreated" ? deadlineTimer.taskId : -2]);
    expect(events.some((e) => e.type === "timerFired" && e.fireAt === at(30 * MINUTE))).toBe(false);
    expect(runtime.instanceMetrics(id).activities.calls).toBe(3);
  });

  it("the deadline wins: the loop stops, the pending pause timer is cancelled", async () => {
    const { client, clock, events } = harness(functions);
    const id = await client.startNew("waitUntilReady", { input: { readyAfterPolls: 100, deadlineMs: 5.5 * MINUTE } });
    const status = await client.waitForCompletion(id);
    // Polls at 0..5 min (6 polls); the pause started at 5 min would end at 6 min, the deadline fires at 5.5.
    expect(status.output).toEqual({ result: "timedOut", attempt: 6, at: at(5.5 * MINUTE) });
    expect(clock.now().toISOString()).toBe(at(5.5 * MINUTE));
    const pauseAt6 = events.find((e) => e.type === "timerCreated" && e.fireAt === at(6 * MINUTE));
    expect(events.filter((e) => e.type === "timerCanceled").map((e) => (e.type === "timerCanceled" ? e.taskId : -1))).toEqual([
      pauseAt6?.type === "timerCreated" ? pauseAt6.taskId : -2,
    ]);
  });
});
