import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { FunctionRegistry } from "../../src/local/runner";
import { harness, sleep } from "./support/harness";

/**
 * Durable entities and critical sections (`context.df.lock`, replay schema V4): the way two requests
 * for the same endpoint are kept from moving its traffic at the same time.
 */
interface Interval {
  who: string;
  start: number;
  end: number;
}

function trafficApp(): { functions: FunctionRegistry; intervals: Map<string, Interval[]> } {
  const intervals = new Map<string, Interval[]>();
  const functions = new FunctionRegistry()
    .entity("counter", (ctx: df.EntityContext<number>) => {
      const value = ctx.df.getState(() => 0) ?? 0;
      switch (ctx.df.operationName) {
        case "add":
          ctx.df.setState(value + (ctx.df.getInput<number>() ?? 0));
          break;
        case "get":
          ctx.df.return(value);
          break;
        default:
          throw new Error(`unknown operation ${ctx.df.operationName}`);
      }
    })
    // A lock-only entity: it never runs an operation, but the host needs it registered.
    .entity("endpointLock", () => undefined)
    .activity("shiftTraffic", async (input: unknown) => {
      const { endpoint, who } = input as { endpoint: string; who: string };
      const start = performance.now();
      await sleep(15); // real I/O time, during which another request could interleave
      const list = intervals.get(endpoint) ?? [];
      list.push({ who, start, end: performance.now() });
      intervals.set(endpoint, list);
      return who;
    })
    .activity("explode", async () => {
      throw new Error("deployment failed");
    })
    .orchestration("useCounter", function* (ctx: df.OrchestrationContext) {
      const counter = new df.EntityId("counter", ctx.df.getInput<string>());
      ctx.df.signalEntity(counter, "add", 5);
      yield ctx.df.callEntity(counter, "add", 2);
      const value: number = yield ctx.df.callEntity(counter, "get");
      let failed = false;
      try {
        yield ctx.df.callEntity(counter, "explode");
      } catch {
        failed = true;
      }
      return { value, failed };
    })
    .orchestration("moveTrafficLocked", function* (ctx: df.OrchestrationContext) {
      const { endpoint, who } = ctx.df.getInput<{ endpoint: string; who: string }>();
      const lock: df.DurableLock = yield ctx.df.lock(new df.EntityId("endpointLock", endpoint));
      try {
        const moved: string = yield ctx.df.callActivity("shiftTraffic", { endpoint, who });
        return moved;
      } finally {
        lock.release();
      }
    })
    .orchestration("moveTrafficUnlocked", function* (ctx: df.OrchestrationContext) {
      const { endpoint, who } = ctx.df.getInput<{ endpoint: string; who: string }>();
      const moved: string = yield ctx.df.callActivity("shiftTraffic", { endpoint, who });
      return moved;
    })
    .orchestration("lockAndFail", function* (ctx: df.OrchestrationContext) {
      yield ctx.df.lock(new df.EntityId("endpointLock", ctx.df.getInput<string>()));
      yield ctx.df.callActivity("explode");
      return "unreachable";
    })
    .orchestration("lockAndWait", function* (ctx: df.OrchestrationContext) {
      const lock: df.DurableLock = yield ctx.df.lock(new df.EntityId("endpointLock", ctx.df.getInput<string>()));
      yield ctx.df.waitForExternalEvent("go");
      lock.release();
      return "done";
    })
    .orchestration("lockAndRelease", function* (ctx: df.OrchestrationContext) {
      const lock: df.DurableLock = yield ctx.df.lock(new df.EntityId("endpointLock", ctx.df.getInput<string>()));
      lock.release();
      return "released";
    })
    .orchestration("lockUnregistered", function* (ctx: df.OrchestrationContext) {
      yield ctx.df.lock(new df.EntityId("neverRegistered", "x"));
      return "unreachable";
    });
  return { functions, intervals };
}

const overlaps = (list: Interval[]): boolean => {
  const sorted = [...list].sort((a, b) => a.start - b.start);
  return sorted.some((iv, i) => i > 0 && iv.start < (sorted[i - 1] as Interval).end);
};

describe("entities", () => {
  it("signalEntity and callEntity run operations in order; a failing operation fails the call", async () => {
    const { functions } = trafficApp();
    const { runtime, client } = harness(functions);
    const id = await client.startNew("useCounter", { input: "c1" });
    const status = await client.waitForCompletion(id);
    expect(status.output).toEqual({ value: 7, failed: true });
    await client.signalEntity(new df.EntityId("counter", "c1"), "add", 10);
    await runtime.runUntilIdle();
    expect(await client.readEntityState<number>(new df.EntityId("counter", "c1"))).toMatchObject({ entityExists: true, entityState: 17 });
  });
});

describe("critical sections: per-endpoint serialization", () => {
  const start = async (client: df.DurableClient, orchestration: string, endpoint: string, who: string) =>
    client.startNew(orchestration, { instanceId: `${orchestration}-${who}`, input: { endpoint, who } });

  it("requests for the same endpoint never move its traffic at the same time; other endpoints proceed in parallel", async () => {
    const { functions, intervals } = trafficApp();
    const { runtime, client, events } = harness(functions);
    for (const who of ["r1", "r2", "r3", "r4"]) await start(client, "moveTrafficLocked", "ep-a", who);
    for (const who of ["s1", "s2"]) await start(client, "moveTrafficLocked", "ep-b", who);
    await runtime.runUntilIdle();

    expect(runtime.metrics().byStatus).toEqual({ Completed: 6 });
    expect((intervals.get("ep-a") ?? []).map((i) => i.who).sort()).toEqual(["r1", "r2", "r3", "r4"]);
    expect(overlaps(intervals.get("ep-a") ?? [])).toBe(false);
    expect(overlaps(intervals.get("ep-b") ?? [])).toBe(false);
    // Different endpoints are different locks: some ep-b move ran while an ep-a move was running.
    expect(overlaps([...(intervals.get("ep-a") ?? []), ...(intervals.get("ep-b") ?? [])])).toBe(true);
    expect(events.filter((e) => e.type === "lockAcquired")).toHaveLength(6);
  });

  it("control: without the lock the same requests do overlap (so the test above can fail)", async () => {
    const { functions, intervals } = trafficApp();
    const { runtime, client } = harness(functions);
    for (const who of ["r1", "r2", "r3"]) await start(client, "moveTrafficUnlocked", "ep-a", who);
    await runtime.runUntilIdle();
    expect(overlaps(intervals.get("ep-a") ?? [])).toBe(true);
  });

  it("a holder that fails keeps its lock (the extension releases only on a normal return); the next request waits", async () => {
    const { functions, intervals } = trafficApp();
    const { runtime, client } = harness(functions);
    await client.startNew("lockAndFail", { instanceId: "holder", input: "ep-c" });
    await start(client, "moveTrafficLocked", "ep-c", "next");
    await runtime.runUntilIdle();
    expect((await client.getStatus("holder")).runtimeStatus).toBe("Failed");
    expect((await client.getStatus("moveTrafficLocked-next")).runtimeStatus).toBe("Running");
    expect(runtime.lockHolder("@endpointlock@ep-c")).toMatchObject({ instanceId: "holder", running: false });
    expect(intervals.get("ep-c")).toBeUndefined();
  });

  it("a terminated holder keeps its lock too; a new execution under the holder's id takes it at once and frees it", async () => {
    const { functions, intervals } = trafficApp();
    const { runtime, client } = harness(functions);
    await client.startNew("lockAndWait", { instanceId: "first", input: "ep-d" });
    await runtime.runUntilIdle();
    await client.terminate("first", "operator pressed terminate");
    await start(client, "moveTrafficLocked", "ep-d", "second");
    await runtime.runUntilIdle();
    expect((await client.getStatus("moveTrafficLocked-second")).runtimeStatus).toBe("Running");
    expect(runtime.lockHolder("@endpointlock@ep-d")).toMatchObject({ instanceId: "first", running: false });
    // The entity scheduler knows the holder by instance id only: its lock request is granted again, its release frees the lock.
    await client.startNew("lockAndRelease", { instanceId: "first", input: "ep-d" });
    await runtime.runUntilIdle();
    expect((await client.getStatus("first")).output).toBe("released");
    expect((await client.getStatus("moveTrafficLocked-second")).runtimeStatus).toBe("Completed");
    expect(runtime.lockHolder("@endpointlock@ep-d")).toBeUndefined();
    expect(intervals.get("ep-d")?.map((i) => i.who)).toContain("second");
  });

  it("locking an entity nobody registered fails the orchestration loudly", async () => {
    const { functions } = trafficApp();
    const { client } = harness(functions);
    const id = await client.startNew("lockUnregistered");
    const status = await client.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(String(status.output)).toContain("entity 'neverregistered' is not registered");
  });
});
