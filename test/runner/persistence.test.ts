import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as df from "durable-functions";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { DurableRuntime, FunctionRegistry, LocalDurableClient } from "../../src/local/runner";
import { at, MINUTE, sleep, T0 } from "./support/harness";

const root = mkdtempSync(join(tmpdir(), "flowdeploy-runner-state-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `s${dirs++}`);

function app(calls: string[], gate?: { block: boolean; forever: Promise<never> }): FunctionRegistry {
  return new FunctionRegistry()
    .activity("record", async (input: unknown) => {
      calls.push(String(input));
      if (gate?.block && input === "blocked") await gate.forever;
      return `${String(input)}!`;
    })
    .entity("tally", (ctx: df.EntityContext<number>) => {
      ctx.df.setState((ctx.df.getState(() => 0) ?? 0) + (ctx.df.getInput<number>() ?? 0));
    })
    .orchestration("pipeline", function* (ctx: df.OrchestrationContext) {
      const a: string = yield ctx.df.callActivity("record", "a");
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 15 * MINUTE));
      const [b, c]: string[] = yield ctx.df.Task.all([ctx.df.callActivity("record", "b"), ctx.df.callActivity("record", "c")]);
      ctx.df.signalEntity(new df.EntityId("tally", "t"), "add", 1);
      ctx.df.setCustomStatus({ stage: "awaitingApproval" });
      const approval: string = yield ctx.df.waitForExternalEvent("approve");
      const d: string = yield ctx.df.callActivity("record", approval);
      return [a, b, c, d];
    });
}

describe("persistence and resume", () => {
  it("a new runtime on the same state directory resumes every instance where the old one stopped", async () => {
    const stateDir = freshDir();
    const calls: string[] = [];
    const first = new DurableRuntime({ functions: app(calls), clock: new VirtualClock(T0), stateDir, verifyTaskIds: true });
    await new LocalDurableClient(first).startNew("pipeline", { instanceId: "p1" });
    await first.runUntilIdle(); // waits for "approve" now; the old runtime is simply abandoned

    const clock = new VirtualClock(T0);
    const second = new DurableRuntime({ functions: app(calls), clock, stateDir, verifyTaskIds: true });
    const client = new LocalDurableClient(second);
    expect(clock.now().toISOString()).toBe(at(15 * MINUTE)); // the VirtualClock resumes where it was
    expect(await client.getStatus("p1")).toMatchObject({ runtimeStatus: "Running", customStatus: { stage: "awaitingApproval" } });
    await client.raiseEvent("p1", "approve", "d");
    const status = await client.waitForCompletion("p1");
    expect(status.output).toEqual(["a!", "b!", "c!", "d!"]);
    expect(calls).toEqual(["a", "b", "c", "d"]); // nothing that completed ran twice
    expect(await client.readEntityState<number>(new df.EntityId("tally", "t"))).toMatchObject({ entityExists: true, entityState: 1 });
    expect(readdirSync(join(stateDir, "instances")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("an activity that was running when the process died runs again (at-least-once)", async () => {
    const stateDir = freshDir();
    const calls: string[] = [];
    const gate = { block: true, forever: new Promise<never>(() => undefined) };
    const first = new DurableRuntime({ functions: app(calls, gate), clock: new VirtualClock(T0), stateDir });
    const client1 = new LocalDurableClient(first);
    await client1.startNew("pipeline", { instanceId: "p2" });
    await first.runUntilIdle();
    await client1.raiseEvent("p2", "approve", "blocked");
    first.start();
    for (let i = 0; i < 100 && !calls.includes("blocked"); i++) await sleep(2); // now it hangs inside the activity
    expect(calls.at(-1)).toBe("blocked");

    const second = new DurableRuntime({ functions: app(calls), clock: new VirtualClock(T0), stateDir });
    const status = await new LocalDurableClient(second).waitForCompletion("p2");
    expect(status.output).toEqual(["a!", "b!", "c!", "blocked!"]);
    expect(calls.filter((c) => c === "blocked")).toHaveLength(2);
  });

  it("a save the process did not finish is cut off, and the runtime goes on from the last whole save", async () => {
    const stateDir = freshDir();
    const calls: string[] = [];
    const first = new DurableRuntime({ functions: app(calls), clock: new VirtualClock(T0), stateDir });
    await new LocalDurableClient(first).startNew("pipeline", { instanceId: "p3" });
    await first.runUntilIdle();
    const log = join(stateDir, "instances", "p3.jsonl");
    const before = readFileSync(log, "utf8");
    appendFileSync(log, '{"r":{"instanceId":"p3","runtimeSta'); // killed mid-write

    const second = new DurableRuntime({ functions: app(calls), clock: new VirtualClock(T0), stateDir });
    expect(readFileSync(log, "utf8")).toBe(before);
    const client = new LocalDurableClient(second);
    await client.raiseEvent("p3", "approve", "d");
    expect((await client.waitForCompletion("p3")).output).toEqual(["a!", "b!", "c!", "d!"]);
  });
});

describe("crash recovery: SIGKILL at arbitrary points", () => {
  const repo = resolve(__dirname, "../..");
  const script = join(repo, "test/runner/support/crashChild.ts");
  const INSTANCES = 12;
  const STEPS = 8;

  function runChild(stateDir: string, logFile: string, killAfterLogLines?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    return new Promise((resolvePromise) => {
      const child = spawn(process.execPath, ["--import", "tsx", script, stateDir, logFile, String(INSTANCES)], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      let poll: NodeJS.Timeout | undefined;
      if (killAfterLogLines !== undefined) {
        poll = setInterval(() => {
          const lines = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").length - 1 : 0;
          if (lines >= killAfterLogLines) child.kill("SIGKILL");
        }, 3);
      }
      child.on("exit", (code, signal) => {
        if (poll) clearInterval(poll);
        resolvePromise({ code, signal, stdout, stderr });
      });
    });
  }

  it("killed twice mid-run, restarted on the same state directory: every instance finishes with the same result", async () => {
    const stateDir = freshDir();
    const logFile = join(root, `crash-${dirs}.log`);
    const total = INSTANCES * STEPS;

    const killed1 = await runChild(stateDir, logFile, Math.floor(total * 0.3));
    expect(killed1.signal).toBe("SIGKILL");
    const killed2 = await runChild(stateDir, logFile, Math.floor(total * 0.7));
    expect(killed2.signal).toBe("SIGKILL");
    const final = await runChild(stateDir, logFile);
    expect(final.stderr).toBe("");
    expect(final.code).toBe(0);

    const { statuses } = JSON.parse(final.stdout) as { statuses: Array<{ id: string; status: string; output: number[] }> };
    expect(statuses).toEqual(
      Array.from({ length: INSTANCES }, (_, i) => ({ id: `crash-${i}`, status: "Completed", output: Array.from({ length: STEPS }, (_, k) => i * 100 + k) })),
    );
    // No lost work: every step ran; a step whose completion was not saved may have run twice (at-least-once).
    const executed = readFileSync(logFile, "utf8").trim().split("\n");
    expect(new Set(executed).size).toBe(total);
    expect(executed.length).toBeGreaterThanOrEqual(total);
  }, 30_000);
});
