import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type * as df from "durable-functions";
import { describe, expect, it, beforeAll } from "vitest";
import { loadApp } from "../../src/local/appFunctions";
import type { HostHandler } from "../../src/local/runner";
import { EventType, FunctionRegistry, NonDeterminismError, replayHistory, type HistoryEvent } from "../../src/local/runner";
import { deployFlow } from "../../orchestrations/deployFlow";
import { repoRoot } from "../support/samples";

/**
 * The determinism gate (Temporal's replay tests): histories recorded from real runs
 * (scripts/record-histories.ts) must replay against the current orchestrator. Durable Functions
 * replays in-flight orchestrations with the new code after a deployment, so an edit that changes what
 * the orchestrator schedules for an old history would break them in production. This test fails first.
 */
const dir = join(repoRoot, "test", "fixtures", "histories");
const files = readdirSync(dir).filter((f) => f.startsWith("deployFlow."));
const load = (file: string) => JSON.parse(readFileSync(join(dir, file), "utf8")) as HistoryEvent[];
let handler: HostHandler;
beforeAll(async () => {
  handler = (await loadApp()).functions.orchestrations.get("deployFlow")!;
});

describe("committed deployFlow histories", () => {
  it("exist for success, blue/green and failure", () => {
    expect(files).toEqual(expect.arrayContaining(["deployFlow.succeeded.json", "deployFlow.blueGreen.json", "deployFlow.imagePullFailure.json"]));
  });

  it.each(files)("%s replays deterministically against the current orchestrator, to the same output", async (file) => {
    const report = await replayHistory(handler, load(file), { verifyTaskIds: true });
    expect(report.outcome.status).toBe("completed");
    expect(report.outputMatches).toBe(true);
  });

  it("catches an orchestrator that schedules something else for the same history", async () => {
    // The same orchestrator, except that it would register the model before creating the endpoint.
    const mutated = new FunctionRegistry().orchestration("deployFlow", function* (ctx: df.OrchestrationContext) {
      const input = ctx.df.getInput<{ request: { workspace: unknown; requestId: string; flow: unknown } }>();
      yield ctx.df.callActivity("registerModel", { workspace: input.request.workspace, requestId: input.request.requestId, flow: input.request.flow });
      return yield* deployFlow(ctx);
    });
    await expect(replayHistory(mutated.orchestrations.get("deployFlow")!, load("deployFlow.succeeded.json"))).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("catches a history whose recorded activity names no longer match", async () => {
    const history = load("deployFlow.succeeded.json").map((e) => (e.EventType === EventType.TaskScheduled && e.Name === "registerModel" ? { ...e, Name: "registerFlowModel" } : e));
    await expect(replayHistory(handler, history)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});
