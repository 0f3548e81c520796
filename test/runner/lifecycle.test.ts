import { HttpRequest } from "@azure/functions";
import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { EventType, FunctionRegistry } from "../../src/local/runner";
import { at, harness, MINUTE, sleep, T0 } from "./support/harness";

let attempts = 0;
const functions = new FunctionRegistry()
  .activity("stamp", async (input: unknown) => ({ stamped: input }))
  .activity("countAttempt", async () => ++attempts)
  .activity("slow", async () => {
    await sleep(40);
    return "slow done";
  })
  .orchestration("approval", function* (ctx: df.OrchestrationContext) {
    ctx.df.setCustomStatus({ stage: "waitingForApproval" });
    const decision: unknown = yield ctx.df.waitForExternalEvent("approve");
    ctx.df.setCustomStatus({ stage: "approved" });
    const stamped: unknown = yield ctx.df.callActivity("stamp", decision);
    return stamped;
  })
  .orchestration("slowOne", function* (ctx: df.OrchestrationContext) {
    const r: string = yield ctx.df.callActivity("slow");
    return r;
  })
  .orchestration("countTo3", function* (ctx: df.OrchestrationContext) {
    const n = ctx.df.getInput<number>();
    if (n >= 3) return n;
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + MINUTE));
    ctx.df.continueAsNew(n + 1);
    return undefined;
  })
  .orchestration("child", function* (ctx: df.OrchestrationContext) {
    const { x } = ctx.df.getInput<{ x: number }>();
    const r: { stamped: number } = yield ctx.df.callActivity("stamp", x + 1);
    return r.stamped;
  })
  .orchestration("failingChild", function* (ctx: df.OrchestrationContext) {
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + MINUTE));
    throw new Error("child broke");
  })
  .orchestration("flakyChild", function* (ctx: df.OrchestrationContext) {
    const { failUntilAttempt } = ctx.df.getInput<{ failUntilAttempt: number }>();
    const attempt: number = yield ctx.df.callActivity("countAttempt");
    if (attempt < failUntilAttempt) throw new Error(`child attempt ${attempt} failed`);
    return `child ok on attempt ${attempt}`;
  })
  .orchestration("retryingParent", function* (ctx: df.OrchestrationContext) {
    const r: string = yield ctx.df.callSubOrchestratorWithRetry("flakyChild", new df.RetryOptions(5_000, 3), { failUntilAttempt: 2 });
    return r;
  })
  .orchestration("parent", function* (ctx: df.OrchestrationContext) {
    const child: number = yield ctx.df.callSubOrchestrator("child", { x: 1 });
    let failure = "";
    try {
      yield ctx.df.callSubOrchestrator("failingChild", undefined, `${ctx.df.instanceId}-failing`);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    return { child, failure };
  });

describe("custom status and external events", () => {
  it("an instance waiting for an event is idle; raiseEvent resumes it", async () => {
    const { runtime, client, events } = harness(functions);
    const id = await client.startNew("approval", { instanceId: "approval-1" });
    const idle = await runtime.runUntilIdle();
    expect(idle.waiting).toEqual(["approval-1"]);
    const waiting = await client.getStatus(id);
    expect(waiting).toMatchObject({ runtimeStatus: "Running", customStatus: { stage: "waitingForApproval" } });

    await client.raiseEvent(id, "approve", { by: "ops" });
    const status = await client.waitForCompletion(id);
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: { stamped: { by: "ops" } }, customStatus: { stage: "approved" } });
    expect(events.filter((e) => e.type === "customStatus").map((e) => (e.type === "customStatus" ? e.customStatus : null))).toEqual([
      { stage: "waitingForApproval" },
      { stage: "approved" },
    ]);
  });

  it("an event raised before the orchestrator waits for it is kept until it does", async () => {
    const { client } = harness(functions);
    const id = await client.startNew("approval");
    await client.raiseEvent(id, "approve", "early");
    expect((await client.waitForCompletion(id)).output).toEqual({ stamped: "early" });
  });

  it("waitForCompletion says so when the instance can only wait for an event", async () => {
    const { client } = harness(functions);
    const id = await client.startNew("approval");
    await expect(client.waitForCompletion(id)).rejects.toThrow(/waits for an external event/);
  });
});

describe("terminate", () => {
  it("terminates a waiting instance; later events are dropped as on the host (410)", async () => {
    const { runtime, client, events } = harness(functions);
    const id = await client.startNew("approval");
    await runtime.runUntilIdle();
    await client.terminate(id, "operator cancelled");
    const status = await client.getStatus(id, { showHistory: true });
    expect(status).toMatchObject({ runtimeStatus: "Terminated", output: "operator cancelled" });
    expect(status.history?.at(-1)).toMatchObject({ EventType: "ExecutionTerminated" });
    await expect(client.raiseEvent(id, "approve", "too late")).resolves.toBeUndefined();
    await runtime.runUntilIdle();
    expect((await client.getStatus(id)).runtimeStatus).toBe("Terminated");
    expect(events.at(-1)).toMatchObject({ type: "terminated", reason: "operator cancelled" });
  });

  it("an activity that finishes after the termination does not revive the instance", async () => {
    const { runtime, client } = harness(functions);
    runtime.start();
    try {
      const id = await client.startNew("slowOne");
      await sleep(10); // the activity is running now
      await client.terminate(id, "stop");
      await sleep(60);
      const status = await client.getStatus(id);
      expect(status).toMatchObject({ runtimeStatus: "Terminated", output: "stop" });
      expect(runtime.getInstance(id)?.exec.history.some((e) => e.EventType === EventType.TaskCompleted)).toBe(false);
    } finally {
      await runtime.stop();
    }
  });
});

describe("the local client's contract", () => {
  it("startNew over a Pending or Running instance is refused as the extension refuses it; a finished one is replaced", async () => {
    const { runtime, client } = harness(functions);
    await client.startNew("approval", { instanceId: "same" });
    // Pending (not yet run), then Running (waiting for its event): both refuse, with the client's error for the host's 500.
    await expect(client.startNew("countTo3", { instanceId: "same", input: 3 })).rejects.toThrow(/unexpected status code: 500.*An Orchestration instance with the status Pending already exists/);
    await runtime.runUntilIdle();
    await expect(client.startNew("countTo3", { instanceId: "same", input: 3 })).rejects.toThrow(/An Orchestration instance with the status Running already exists/);
    expect((await client.getStatus("same")).name).toBe("approval");
    // Non-running states are overridable (overridableExistingInstanceStates = NonRunningStates).
    await client.terminate("same", "done with it");
    await runtime.runUntilIdle();
    await client.startNew("countTo3", { instanceId: "same", input: 3 });
    const status = await client.waitForCompletion("same");
    expect(status).toMatchObject({ name: "countTo3", runtimeStatus: "Completed", output: 3 });
  });

  it("unknown instances: getStatus throws like the real client (HTTP 404), raiseEvent/terminate name the id", async () => {
    const { client } = harness(functions);
    await expect(client.getStatus("nope")).rejects.toThrow(/HTTP 404/);
    await expect(client.raiseEvent("nope", "x", 1)).rejects.toThrow("No instance with ID 'nope' found.");
    await expect(client.terminate("nope", "x")).rejects.toThrow("No instance with ID 'nope' found.");
    await expect(client.startNew("notRegistered")).rejects.toThrow(/doesn't exist/);
  });

  it("createCheckStatusResponse: 202 with Location and the management URLs on the request's origin", async () => {
    const { client } = harness(functions, {});
    const httpStart = async (request: HttpRequest, durable: df.DurableClient) => durable.createCheckStatusResponse(request, await durable.startNew("approval", { instanceId: "abc" }));
    const response = await httpStart(new HttpRequest({ url: "https://deployer.example.net/api/deployments", method: "POST" }), client);
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, string>;
    expect(response.headers.get("location")).toBe(body.statusQueryGetUri);
    expect(body).toEqual({
      id: "abc",
      statusQueryGetUri: "https://deployer.example.net/runtime/webhooks/durabletask/instances/abc?taskHub=LocalTaskHub&connection=Storage",
      sendEventPostUri: "https://deployer.example.net/runtime/webhooks/durabletask/instances/abc/raiseEvent/{eventName}?taskHub=LocalTaskHub&connection=Storage",
      terminatePostUri: "https://deployer.example.net/runtime/webhooks/durabletask/instances/abc/terminate?reason={text}&taskHub=LocalTaskHub&connection=Storage",
      rewindPostUri: "https://deployer.example.net/runtime/webhooks/durabletask/instances/abc/rewind?reason={text}&taskHub=LocalTaskHub&connection=Storage",
      purgeHistoryDeleteUri: "https://deployer.example.net/runtime/webhooks/durabletask/instances/abc?taskHub=LocalTaskHub&connection=Storage",
      suspendPostUri: "https://deployer.example.net/runtime/webhooks/durabletask/instances/abc/suspend?reason={text}&taskHub=LocalTaskHub&connection=Storage",
      resumePostUri: "https://deployer.example.net/runtime/webhooks/durabletask/instances/abc/resume?reason={text}&taskHub=LocalTaskHub&connection=Storage",
    });
  });

  it("waitForCompletionOrCreateCheckStatusResponse: the output when done in time, else 202", async () => {
    const { client } = harness(functions);
    const request = new HttpRequest({ url: "http://localhost:7071/api/x", method: "POST" });
    const done = await client.waitForCompletionOrCreateCheckStatusResponse(request, await client.startNew("countTo3", { input: 3 }));
    expect([done.status, await done.json()]).toEqual([200, 3]);
    const pending = await client.waitForCompletionOrCreateCheckStatusResponse(request, await client.startNew("approval"), { timeoutInMilliseconds: 20, retryIntervalInMilliseconds: 10 });
    expect(pending.status).toBe(202);
  });

  it("getStatusBy filters by runtime status", async () => {
    const { runtime, client } = harness(functions);
    await client.startNew("approval", { instanceId: "a" });
    await client.startNew("countTo3", { instanceId: "b", input: 3 });
    await runtime.runUntilIdle();
    const running = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running] });
    expect(running.map((s) => s.instanceId)).toEqual(["a"]);
    expect((await client.getStatusAll()).map((s) => s.instanceId).sort()).toEqual(["a", "b"]);
  });
});

describe("continueAsNew and sub-orchestrations", () => {
  it("continueAsNew restarts with the new input and a fresh history", async () => {
    const { runtime, client, events } = harness(functions);
    const id = await client.startNew("countTo3", { input: 0 });
    const status = await client.waitForCompletion(id);
    expect(status.output).toBe(3);
    expect(status.input).toBe(3);
    expect(runtime.clock.now().toISOString()).toBe(at(3 * MINUTE));
    expect(events.filter((e) => e.type === "continuedAsNew")).toHaveLength(3);
    // The last execution's history is just start + completion.
    expect(runtime.getHistory(id).map((e) => e.EventType)).toEqual([EventType.OrchestratorStarted, EventType.ExecutionStarted, EventType.OrchestratorCompleted, EventType.ExecutionCompleted]);
  });

  it("a parent gets a child's result, and a child's failure as a catchable error", async () => {
    const { runtime, client } = harness(functions);
    const id = await client.startNew("parent", { instanceId: "p" });
    const status = await client.waitForCompletion(id);
    expect(status.output).toEqual({ child: 2, failure: expect.stringContaining("child broke") });
    expect((await client.getStatus("p-failing")).runtimeStatus).toBe("Failed");
    expect((await client.getStatus("p:0")).output).toBe(2);
    expect(runtime.metrics().byStatus).toEqual({ Completed: 2, Failed: 1 });
    expect(new Date((await client.getStatus("p")).lastUpdatedTime).getTime()).toBe(new Date(T0).getTime() + MINUTE);
  });

  it("callSubOrchestratorWithRetry starts a new child per attempt after the retry delay", async () => {
    attempts = 0;
    const { runtime, client } = harness(functions);
    const id = await client.startNew("retryingParent", { instanceId: "rp" });
    const status = await client.waitForCompletion(id);
    expect(status.output).toBe("child ok on attempt 2");
    // Attempt ids 0 and 2 (the retry timer took id 1): one child instance each.
    expect((await client.getStatus("rp:0")).runtimeStatus).toBe("Failed");
    expect((await client.getStatus("rp:2")).runtimeStatus).toBe("Completed");
    expect(runtime.clock.now().toISOString()).toBe(at(5_000));
  });

  it("purgeInstanceHistory deletes finished instances only", async () => {
    const { runtime, client } = harness(functions);
    await client.startNew("countTo3", { instanceId: "done", input: 3 });
    await client.startNew("approval", { instanceId: "waiting" });
    await runtime.runUntilIdle();
    expect(await client.purgeInstanceHistory("done")).toEqual({ instancesDeleted: 1 });
    expect(await client.purgeInstanceHistory("waiting")).toEqual({ instancesDeleted: 0 });
    await expect(client.getStatus("done")).rejects.toThrow(/404/);
  });
});
