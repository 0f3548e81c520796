import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as df from "durable-functions";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { DURABLE_FUNCTIONS_VERSION, DurableRuntime, FunctionRegistry, LocalDurableClient, NonDeterminismError, replayHistory, type HistoryEvent, type HostHandler } from "../../src/local/runner";
import { at, MINUTE, T0 } from "./support/harness";

/**
 * The replay gate (Temporal's test-replay.ts idea): a history recorded from a run of `releaseFlow`
 * is committed under test/fixtures/histories and replayed against the current orchestrator code.
 * A change that makes the code schedule different work than the history holds must fail here, before
 * it reaches instances that are in flight. Re-record after an intended, versioned change with
 *   UPDATE_HISTORY_FIXTURES=1 npx vitest run test/runner/determinism.test.ts
 */
const FIXTURE = resolve(__dirname, "../fixtures/histories/releaseFlow.v1.json");

interface Fixture {
  description: string;
  orchestration: string;
  recordedWith: { durableFunctions: string };
  output: unknown;
  history: HistoryEvent[];
}

type Variant = "v1" | "renamedActivity" | "reordered" | "insertedTimer" | "changedInputsOnly";

function releaseFlow(variant: Variant) {
  return function* (ctx: df.OrchestrationContext): Generator<df.Task, unknown, unknown> {
    const { endpoint } = ctx.df.getInput<{ endpoint: string }>();
    let name: string;
    if (variant === "reordered") {
      yield ctx.df.callActivity("grantRoles", endpoint);
      name = (yield ctx.df.callActivity("ensureEndpoint", endpoint)) as string;
    } else {
      name = (yield ctx.df.callActivity("ensureEndpoint", endpoint)) as string;
      ctx.df.setCustomStatus({ stage: variant === "changedInputsOnly" ? "grantingRoles" : "roles" });
      yield ctx.df.callActivity("grantRoles", variant === "changedInputsOnly" ? { endpoint: name } : name);
    }
    if (variant === "insertedTimer") yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + MINUTE));
    // Role assignments can take >15 min to take effect: wait 16 durable minutes.
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 16 * MINUTE));
    const modelActivity = variant === "renamedActivity" ? "registerModelVersion" : "registerModel";
    const [model, environment] = (yield ctx.df.Task.all([ctx.df.callActivity(modelActivity, name), ctx.df.callActivity("buildEnvironment", name)])) as string[];
    const deployed = (yield ctx.df.callActivityWithRetry("createDeployment", new df.RetryOptions(30_000, 3), { name, model, environment })) as string;
    const deadline = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 60 * MINUTE));
    const approval = ctx.df.waitForExternalEvent("approveTraffic");
    const winner: unknown = yield ctx.df.Task.any([approval, deadline]);
    if (winner !== approval) return { deployed, traffic: 0 };
    deadline.cancel();
    yield ctx.df.callActivity("shiftTraffic", { name, percent: 100 });
    return { deployed, traffic: 100 };
  };
}

function registry(variant: Variant): FunctionRegistry {
  let deployAttempts = 0;
  return new FunctionRegistry()
    .orchestration("releaseFlow", releaseFlow(variant))
    .activity("ensureEndpoint", async (input: unknown) => `ep-${String(input)}`)
    .activity("grantRoles", async () => null)
    .activity("registerModel", async () => "model:1")
    .activity("registerModelVersion", async () => "model:1")
    .activity("buildEnvironment", async () => "env:1")
    .activity("createDeployment", async () => {
      if (++deployAttempts === 1) throw new Error("transient 503");
      return "blue";
    })
    .activity("shiftTraffic", async () => null);
}

const handlerOf = (variant: Variant): HostHandler => registry(variant).orchestrations.get("releaseFlow") as HostHandler;
const loadFixture = (): Fixture => JSON.parse(readFileSync(FIXTURE, "utf8")) as Fixture;

const tmp = mkdtempSync(join(tmpdir(), "flowdeploy-determinism-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("committed-history replay gate", () => {
  it.runIf(process.env.UPDATE_HISTORY_FIXTURES === "1")("records test/fixtures/histories/releaseFlow.v1.json", async () => {
    const runtime = new DurableRuntime({ functions: registry("v1"), clock: new VirtualClock(T0), verifyTaskIds: true });
    const client = new LocalDurableClient(runtime);
    await client.startNew("releaseFlow", { instanceId: "release-fixture", input: { endpoint: "chat" } });
    // Skip time to 00:20 only: the instance then waits for approval with its 1-hour deadline pending.
    await runtime.runUntilIdle({ advanceClockUntil: at(20 * MINUTE) });
    await client.raiseEvent("release-fixture", "approveTraffic", { by: "ops" });
    const status = await client.waitForCompletion("release-fixture");
    const fixture: Fixture = {
      description: "releaseFlow v1: two activities, a 16-minute timer, a fan-out, a retried activity (first attempt fails), an approval racing a 1-hour deadline.",
      orchestration: "releaseFlow",
      recordedWith: { durableFunctions: DURABLE_FUNCTIONS_VERSION },
      output: status.output,
      history: runtime.getHistory("release-fixture"),
    };
    writeFileSync(FIXTURE, JSON.stringify(fixture, null, 2) + "\n");
  });

  it("the current orchestrator replays the committed history, ids checked against the library", async () => {
    const fixture = loadFixture();
    const report = await replayHistory(handlerOf("v1"), fixture.history, { verifyTaskIds: true });
    expect(report.outcome.status).toBe("completed");
    expect(report.outputMatches).toBe(true);
    expect(report.steps.length).toBeGreaterThan(5);
  });

  it("an edit that only changes inputs and custom status still replays (like DTFx, the gate compares what is scheduled, not its inputs)", async () => {
    await expect(replayHistory(handlerOf("changedInputsOnly"), loadFixture().history)).resolves.toMatchObject({ outcome: { status: "completed" } });
  });

  it.each([
    ["renamedActivity", "at episode 4 (2026-01-01T00:16:00.000Z): the history recorded TaskScheduled#3 'registerModel', the code now schedules TaskScheduled#3 'registerModelVersion'"],
    ["reordered", "at episode 1 (2026-01-01T00:00:00.000Z): the history recorded TaskScheduled#0 'ensureEndpoint', the code now schedules TaskScheduled#0 'grantRoles'"],
    // A timer's FireAt is not compared (DTFx neither): the inserted 1-minute timer takes the 16-minute timer's
    // id, and the divergence shows one episode later, when the code schedules a timer where registerModel was.
    ["insertedTimer", "at episode 4 (2026-01-01T00:16:00.000Z): the history recorded TaskScheduled#3 'registerModel', the code now schedules TimerCreated#3"],
  ] as const)("a %s orchestrator is reported as non-deterministic", async (variant, message) => {
    const error = await replayHistory(handlerOf(variant), loadFixture().history).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect((error as Error).message).toContain(message);
  });
});

describe("non-determinism in a live runtime", () => {
  it("an instance in flight fails loudly when restarted on changed code", async () => {
    const stateDir = join(tmp, "live");
    const before = new DurableRuntime({ functions: registry("v1"), clock: new VirtualClock(T0), stateDir });
    await new LocalDurableClient(before).startNew("releaseFlow", { instanceId: "in-flight", input: { endpoint: "chat" } });
    await before.runUntilIdle({ advanceClockUntil: at(20 * MINUTE) }); // past registerModel, waiting for approval

    const after = new DurableRuntime({ functions: registry("renamedActivity"), clock: new VirtualClock(T0), stateDir });
    const client = new LocalDurableClient(after);
    await client.raiseEvent("in-flight", "approveTraffic", { by: "ops" });
    const status = await client.waitForCompletion("in-flight");
    expect(status.runtimeStatus).toBe("Failed");
    expect(String(status.output)).toMatch(/Non-deterministic orchestrator 'releaseFlow'.*'registerModel'.*'registerModelVersion'/);
    expect(after.getInstance("in-flight")?.failure?.nonDeterminism).toBe(true);
  });
});
