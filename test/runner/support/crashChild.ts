/**
 * A runner process for the crash test (test/runner/persistence.test.ts): it (re)starts N instances of
 * an orchestration that uses activities, a timer, a fan-out, a critical section and a retrying call,
 * runs until idle on the given state directory, and prints every instance's status as JSON.
 * Every activity execution appends "i:k" to the log file, so the test can see re-runs.
 *
 *   node --import tsx test/runner/support/crashChild.ts <stateDir> <logFile> <instances>
 */
import * as df from "durable-functions";
import { appendFileSync } from "node:fs";
import { VirtualClock } from "../../../src/local/clock";
import { DurableRuntime, FunctionRegistry, LocalDurableClient } from "../../../src/local/runner";

const [stateDir = "", logFile = "", count = "1"] = process.argv.slice(2);

const functions = new FunctionRegistry()
  .activity("step", async (input: unknown) => {
    const { i, k } = input as { i: number; k: number };
    appendFileSync(logFile, `${i}:${k}\n`);
    await new Promise((resolve) => setTimeout(resolve, 4));
    return i * 100 + k;
  })
  .entity("endpointLock", () => undefined)
  .orchestration("crashy", function* (ctx: df.OrchestrationContext) {
    const i = ctx.df.getInput<number>();
    const results: number[] = [];
    for (let k = 0; k < 3; k++) results.push((yield ctx.df.callActivity("step", { i, k })) as number);
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 10 * 60_000));
    const fanOut = (yield ctx.df.Task.all([3, 4, 5].map((k) => ctx.df.callActivity("step", { i, k })))) as number[];
    results.push(...fanOut);
    const lock = (yield ctx.df.lock(new df.EntityId("endpointLock", `ep${i % 3}`))) as df.DurableLock;
    try {
      results.push((yield ctx.df.callActivity("step", { i, k: 6 })) as number);
    } finally {
      lock.release();
    }
    results.push((yield ctx.df.callActivityWithRetry("step", new df.RetryOptions(1_000, 2), { i, k: 7 })) as number);
    return results;
  });

async function main(): Promise<void> {
  const runtime = new DurableRuntime({ functions, clock: new VirtualClock("2026-01-01T00:00:00Z"), stateDir, activityConcurrency: 4, verifyTaskIds: true });
  const client = new LocalDurableClient(runtime);
  for (let i = 0; i < Number(count); i++) {
    const instanceId = `crash-${i}`;
    if (!runtime.getInstance(instanceId)) await client.startNew("crashy", { instanceId, input: i });
  }
  await runtime.runUntilIdle();
  const statuses = (await client.getStatusAll()).map((s) => ({ id: s.instanceId, status: s.runtimeStatus, output: s.output }));
  statuses.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
  process.stdout.write(JSON.stringify({ statuses, clock: runtime.clock.now().toISOString() }));
}

main().catch((err: unknown) => {
  process.stderr.write(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
