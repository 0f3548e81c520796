import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { DuplicateFunctionError, EventType, FunctionRegistry } from "../../src/local/runner";
import { customStatusSizeError } from "../../src/local/runner/episode";
import { appEntryPattern, loadApp } from "../../src/local/appFunctions";
import { expandMainGlob } from "../../src/local/appFunctions/mainGlob";
import { repoRoot } from "../support/samples";
import { harness, T0 } from "./support/harness";

/**
 * The runner is as strict as the Functions worker and the Durable extension where the product depends
 * on it (docs/local-runner.md, "How strict it is"). Each test fails on the lenient behaviour.
 */
describe("registration rules (worker and host)", () => {
  it("refuses a second function with the same name, whatever its trigger kind or letter case", () => {
    const registry = new FunctionRegistry().activity("startDeployment", async () => 1);
    expect(() => registry.capture(() => df.app.client.http("startDeployment", { route: "a", handler: async () => ({}) }))).toThrow(DuplicateFunctionError);
    expect(() => registry.capture(() => df.app.client.http("StartDeployment", { route: "b", handler: async () => ({}) }))).toThrow(/already been registered.*ignoring case/);
    expect(() => registry.orchestration("STARTDEPLOYMENT", function* () {})).toThrow(DuplicateFunctionError);
    expect(registry.all()).toEqual([{ name: "startDeployment", triggerType: "activityTrigger" }]);
  });

  it("unregisters a function by name, ignoring case, and only that one; the name is then free again", () => {
    const registry = new FunctionRegistry()
      .orchestration("probe", function* () {})
      .activity("kept", async () => 1)
      .entity("Counter", () => undefined);
    registry.capture(() => df.app.client.http("probeHttp", { route: "p", handler: async () => ({}) }));
    expect(registry.unregister("PROBE")).toBe(true);
    expect(registry.unregister("probehttp")).toBe(true);
    expect(registry.unregister("counter")).toBe(true);
    expect(registry.unregister("probe")).toBe(false);
    expect(registry.all()).toEqual([{ name: "kept", triggerType: "activityTrigger" }]);
    expect(registry.names()).toEqual({ orchestrations: [], activities: ["kept"], entities: [] });
    expect(registry.otherFunctions).toEqual([]);
    expect(() => registry.orchestration("Probe", function* () {})).not.toThrow();
  });

  it("refuses names the host cannot index", () => {
    const registry = new FunctionRegistry();
    for (const bad of ["1st", "has space", "dots.are.out", "x".repeat(129)]) expect(() => registry.activity(bad, async () => 1)).toThrow(/is not a valid function name/);
    expect(() => registry.activity("ok_name-2", async () => 1)).not.toThrow();
  });

  it("loads the app through package.json main (mapped to the sources), and every file the glob matches registers", async () => {
    const app = await loadApp();
    const expected = await expandMainGlob(appEntryPattern(), repoRoot);
    expect(appEntryPattern()).toBe("src/{index.ts,functions/*.ts}");
    expect(app.files).toEqual(expected);
    expect(app.files.some((f) => f.endsWith("src/functions/register.ts"))).toBe(true);
    const names = app.functions.all().map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(["deployFlow", "releaseEndpointLock", "endpointLock", "startDeployment", "startDeploymentHttp", "cancelDeploymentHttp", "releaseLockHttp", "listDeploymentsHttp", "deployRequestsQueue", "bulkTestEvents"]));
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
  });
});

describe("Durable extension behaviours", () => {
  const statusApp = (chars: number) =>
    new FunctionRegistry().orchestration("bigStatus", function* (ctx: df.OrchestrationContext) {
      ctx.df.setCustomStatus({ blob: "x".repeat(chars) });
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 1000));
      return "done";
    });

  it("custom status over 16 KB of UTF-16 fails the orchestration with the extension's message", async () => {
    // 16 KB truncated: 8,704 UTF-16 code units (17,408 bytes) is the first size that fails.
    expect(customStatusSizeError("y".repeat(8703))).toBeUndefined();
    expect(customStatusSizeError("y".repeat(8704))).toBe("The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB.");
    const { client } = harness(statusApp(9000));
    const id = await client.startNew("bigStatus");
    const status = await client.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(String(status.output)).toContain("Orchestrator function 'bigStatus' failed: The UTF-16 size of the JSON-serialized payload must not exceed 16 KB");
    const ok = harness(statusApp(8000));
    expect((await ok.client.waitForCompletion(await ok.client.startNew("bigStatus"))).runtimeStatus).toBe("Completed");
  });

  it("advertises replay schema V3 on request: the library then refuses lock", async () => {
    const functions = new FunctionRegistry()
      .entity("gate", () => undefined)
      .orchestration("locks", function* (ctx: df.OrchestrationContext) {
        const lock: df.DurableLock = yield ctx.df.lock(new df.EntityId("gate", "k"));
        lock.release();
        return "locked";
      });
    const v3 = harness(functions, { replaySchema: "V3" });
    const failed = await v3.client.waitForCompletion(await v3.client.startNew("locks"));
    expect(failed.runtimeStatus).toBe("Failed");
    expect(String(failed.output)).toMatch(/lock requires a Durable Functions extension that supports OOProc schema V4 or higher \(this extension supports up to V3\)/);
    const v4 = harness(functions);
    expect((await v4.client.waitForCompletion(await v4.client.startNew("locks"))).output).toBe("locked");
  });

  it("can withhold exception properties, as extensions before 3.14 do: the provider's payload stays in the message", async () => {
    const functions = new FunctionRegistry()
      .activity("fails", async () => {
        throw Object.assign(new Error("boom"), { code: "X" });
      })
      .orchestration("catches", function* (ctx: df.OrchestrationContext) {
        try {
          yield ctx.df.callActivity("fails");
          return null;
        } catch (err) {
          const details = (err as df.TaskFailedError).failureDetails;
          return { message: details.errorMessage, properties: details.properties ?? null };
        }
      });
    df.app.setExceptionPropertiesProvider({ getExceptionProperties: (e) => ({ code: (e as { code?: string }).code ?? "none" }) });
    try {
      const withProps = harness(functions);
      expect((await withProps.client.waitForCompletion(await withProps.client.startNew("catches"))).output).toEqual({ message: "boom", properties: { code: "X" } });
      const without = harness(functions, { exceptionProperties: false });
      const out = (await without.client.waitForCompletion(await without.client.startNew("catches"))).output as { message: string; properties: unknown };
      expect(out.properties).toBeNull();
      expect(JSON.parse(out.message)).toMatchObject({ errorMessage: "boom", properties: { code: "X" } });
    } finally {
      df.app.setExceptionPropertiesProvider(null as unknown as df.ExceptionPropertiesProvider);
    }
  });

  it("fires timers late by up to timerLatenessSeconds, reproducibly, never early", async () => {
    const functions = new FunctionRegistry().orchestration("waits", function* (ctx: df.OrchestrationContext) {
      for (let i = 0; i < 20; i++) yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 60_000));
      return ctx.df.currentUtcDateTime.toISOString();
    });
    const lateness = async (seed: number): Promise<number[]> => {
      const { runtime, client } = harness(functions, { timerLatenessSeconds: 30, timerLatenessSeed: seed });
      const id = await client.startNew("waits");
      await client.waitForCompletion(id);
      const history = runtime.getHistory(id);
      return history.filter((e) => e.EventType === EventType.TimerFired).map((e) => {
        const started = history.filter((h) => h.EventType === EventType.OrchestratorStarted && Date.parse(h.Timestamp!) >= Date.parse(e.FireAt!))[0]!;
        return (Date.parse(started.Timestamp!) - Date.parse(e.FireAt!)) / 1000;
      });
    };
    const a = await lateness(7);
    expect(a).toHaveLength(20);
    expect(a.every((s) => s >= 0 && s <= 30)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(10);
    expect(await lateness(7)).toEqual(a);
    const { client } = harness(functions);
    expect((await client.waitForCompletion(await client.startNew("waits"))).output).toBe(new Date(Date.parse(T0) + 20 * 60_000).toISOString());
  });
});
