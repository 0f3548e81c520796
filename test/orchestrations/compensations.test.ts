import type * as df from "durable-functions";
import { afterEach, describe, expect, it } from "vitest";
import { Compensations, type Undo } from "../../orchestrations/compensations";
import { deployRun } from "../../orchestrations/deployRun";
import { StageFailure } from "../../orchestrations/failures";
import { RunRecord } from "../../orchestrations/runRecord";
import { moveTraffic } from "../../orchestrations/trafficMoves";
import type { Step } from "../../orchestrations/steps";
import { parseDeployRequest } from "../../src/contracts";
import { deployFlowInput } from "../../src/intake/startOnce";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { sampleRequest } from "../support/samples";

/** Drives a generator that yields no tasks (the undos below only record), as the replay engine would. */
function drain(step: Step<void>): void {
  for (let r = step.next(); !r.done; r = step.next()) throw new Error("this undo was not meant to yield a task");
}

/** An undo that records that it ran, and why, without scheduling anything. */
function recording(done: string[], what: string): Undo {
  return function* (reason) {
    yield* [];
    done.push(`${what} (${reason})`);
  };
}

const quietContext = { df: { isReplaying: false, instanceId: "deploy-1", getInput: () => undefined }, log: () => undefined } as unknown as df.OrchestrationContext;

describe("Compensations (the saga's ledger)", () => {
  it("undoes newest first, goes on past an undo that throws, and empties", () => {
    const done: string[] = [];
    const logged: string[] = [];
    const ctx = { df: { isReplaying: false, instanceId: "deploy-1", getInput: () => ({ request: { requestId: "r-1", endpoint: { name: "web" } } }) }, log: (m: string) => logged.push(m) };
    const undo = new Compensations(ctx as unknown as df.OrchestrationContext);
    undo.register("delete deployment green", recording(done, "delete green"));
    undo.register("broken", function* () {
      yield* [];
      throw new Error("Azure said no");
    });
    undo.register("restore traffic blue=100", recording(done, "restore blue"));
    expect(undo.pending()).toEqual(["restore traffic blue=100", "broken", "delete deployment green"]);
    drain(undo.unwind("Cancelled"));
    expect(done).toEqual(["restore blue (Cancelled)", "delete green (Cancelled)"]);
    expect(logged).toEqual(['request=r-1 instance=deploy-1 endpoint=web stage=unwind undo "broken" failed: Azure said no']);
    expect(undo.pending()).toEqual([]);
  });

  it("after commit, nothing is undone", () => {
    const done: string[] = [];
    const undo = new Compensations(quietContext);
    undo.register("delete deployment green", recording(done, "delete green"));
    undo.commit();
    drain(undo.unwind("Failed"));
    expect(done).toEqual([]);
  });
});

describe("moveTraffic: the one way a run changes traffic", () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it("moves the split in Azure and, when a later step fails, the unwind restores the split it replaced", async () => {
    stack = await startLocalStack({ scenario: { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }, { name: "green", traffic: 0 }] }] } });
    // A probe orchestration built from the product's parts: a canary step of 10% that fails its check.
    stack.app.functions.orchestration("trafficProbe", function* (ctx: df.OrchestrationContext) {
      const input = ctx.df.getInput() as ReturnType<typeof deployFlowInput>;
      const run = deployRun(ctx, input, new RunRecord(ctx, input.request));
      run.cancellation.disarm();
      let moved: Record<string, number> = {};
      try {
        moved = (yield* moveTraffic(run, { blue: 100, green: 0 }, { blue: 90, green: 10 })).traffic;
        throw new StageFailure("traffic", "CanaryFailed", "the canary's error rate was too high");
      } catch (err) {
        if (!(err instanceof StageFailure)) throw err;
        yield* run.undo.unwind("Failed");
        return { moved, restored: run.endpoint!.traffic, pending: run.undo.pending() };
      }
    });
    const parsed = parseDeployRequest(sampleRequest());
    if (!parsed.ok) throw new Error("sample request invalid");
    await stack.client.startNew("trafficProbe", { instanceId: "probe-1", input: deployFlowInput(parsed.value, "cli") });
    const done = await stack.runtime.waitForCompletion("probe-1", { timeoutMs: 30_000 });
    expect(done.runtimeStatus).toBe("Completed");
    expect(JSON.parse(done.outputJson!)).toEqual({ moved: { blue: 90, green: 10 }, restored: { blue: 100, green: 0 }, pending: [] });
    const trafficPuts = stack.sim.requests().filter((r) => r.operation === "onlineEndpoints.createOrUpdate");
    expect(trafficPuts).toHaveLength(2);
    expect(stack.sim.state().endpoints.find((e) => e.name === "web-classify")?.traffic).toEqual({ blue: 100, green: 0 });
  });
});
