import type * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { ScaledClock } from "../../src/local/clock";
import { EventType, FunctionRegistry } from "../../src/local/runner";
import { at, harness, MINUTE, T0 } from "./support/harness";

const DAY = 24 * 60 * MINUTE;

const functions = new FunctionRegistry()
  .activity("stamp", async (input: unknown) => input)
  .activity("slowCall", async () => {
    await new Promise((resolve) => setTimeout(resolve, 600));
    return "slow";
  })
  .orchestration("slowOne", function* (ctx: df.OrchestrationContext) {
    const r: string = yield ctx.df.callActivity("slowCall");
    return r;
  })
  .orchestration("waitFor", function* (ctx: df.OrchestrationContext) {
    const { ms } = ctx.df.getInput<{ ms: number }>();
    const startedAt = ctx.df.currentUtcDateTime.toISOString();
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + ms));
    const endedAt: string = yield ctx.df.callActivity("stamp", ctx.df.currentUtcDateTime.toISOString());
    return { startedAt, endedAt };
  });

describe("durable timers on the VirtualClock", () => {
  /**
   * Why this is instant: when no activity runs and no episode is pending, the runtime moves the
   * VirtualClock straight to the earliest timer (the time-skipping idea of Temporal's test server).
   */
  it("a 16-minute timer passes in milliseconds of wall time while the clock moves 16 minutes", async () => {
    const { runtime, client, clock, events } = harness(functions);
    const wallStart = performance.now();
    const id = await client.startNew("waitFor", { input: { ms: 16 * MINUTE } });
    const status = await client.waitForCompletion(id);
    const wallMs = performance.now() - wallStart;

    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ startedAt: T0, endedAt: at(16 * MINUTE) });
    expect(clock.now().getTime() - new Date(T0).getTime()).toBeGreaterThanOrEqual(16 * MINUTE);
    // A real 16-minute wait would be 960,000 ms: a minute of wall time still proves the skip, on a loaded machine too.
    expect(wallMs).toBeLessThan(60_000);
    expect(events.filter((e) => e.type === "timerCreated" || e.type === "timerFired").map((e) => [e.type, e.at])).toEqual([
      ["timerCreated", T0],
      ["timerFired", at(16 * MINUTE)],
    ]);
    expect(runtime.instanceMetrics(id)).toMatchObject({ timersFired: 1, clockMs: 16 * MINUTE });
  });

  it("a timer longer than 6 days runs as LongTimerTask chunks of 3 days, ids in step with the library", async () => {
    const { runtime, client, clock, events } = harness(functions);
    const id = await client.startNew("waitFor", { input: { ms: 8 * DAY } });
    const status = await client.waitForCompletion(id);
    expect(status.output).toEqual({ startedAt: T0, endedAt: at(8 * DAY) });
    expect(clock.now().toISOString()).toBe(at(8 * DAY));
    // 8 days > 6: a first chunk of 3 days; then 5 days remain (<= 6), so the last chunk ends at the final time.
    expect(events.filter((e) => e.type === "timerCreated").map((e) => (e.type === "timerCreated" ? [e.purpose, e.fireAt] : []))).toEqual([
      ["longTimer", at(3 * DAY)],
      ["longTimer", at(8 * DAY)],
    ]);
    const timers = runtime.getHistory(id).filter((e) => e.EventType === EventType.TimerCreated);
    expect(timers.map((e) => [e.EventId, e.Origin])).toEqual([
      [0, "longTimer"],
      [1, "longTimer"],
    ]);
  });

  it("exactly 6 days is still one short timer (the library splits only above maximumShortTimerDuration)", async () => {
    const { client, events } = harness(functions);
    const id = await client.startNew("waitFor", { input: { ms: 6 * DAY } });
    await client.waitForCompletion(id);
    expect(events.filter((e) => e.type === "timerCreated").map((e) => (e.type === "timerCreated" ? e.purpose : ""))).toEqual(["timer"]);
  });
});

describe("durable timers on a ScaledClock", () => {
  it("fire after (fireAt - now) / scale real milliseconds", async () => {
    const clock = new ScaledClock(600); // 600 simulated seconds per real second: 60 s take 100 ms
    const { client } = harness(functions, { clock });
    const wallStart = performance.now();
    const id = await client.startNew("waitFor", { input: { ms: 60_000 } });
    const status = await client.waitForCompletion(id, { timeoutMs: 5_000 });
    const wallMs = performance.now() - wallStart;
    const output = status.output as { startedAt: string; endedAt: string };
    expect(new Date(output.endedAt).getTime() - new Date(output.startedAt).getTime()).toBeGreaterThanOrEqual(60_000);
    expect(wallMs).toBeGreaterThanOrEqual(90);
    // Unscaled it would take 60,000 ms: half of that still proves the scaling under load.
    expect(wallMs).toBeLessThan(30_000);
  });

  it("a timer fires on time while another instance's activity is still running", async () => {
    const { runtime, client } = harness(functions, { clock: new ScaledClock(600) });
    runtime.start();
    try {
      const slow = await client.startNew("slowOne");
      const timed = await client.startNew("waitFor", { input: { ms: 60_000 } }); // 100 real ms
      await client.waitForCompletion(timed, { timeoutMs: 5_000 });
      // Not held back by the 600 ms activity: the timer's instance is done while the other still runs (order, not wall time).
      expect((await client.getStatus(slow)).runtimeStatus).toBe("Running");
      await client.waitForCompletion(slow, { timeoutMs: 5_000 });
    } finally {
      await runtime.stop();
    }
  });
});
