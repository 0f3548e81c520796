import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
// Exactly as production: src/index.ts registers the exception-properties provider when it loads.
import "../../src/index";
import { PipelineError } from "../../src/errors";
import { FunctionRegistry } from "../../src/local/runner";
import { harness } from "./support/harness";

/**
 * Activities throw PipelineErrors; the exception-properties provider that src/index.ts registers puts
 * {code, stage, retryable} into the failure details, and the orchestrator reads them from
 * TaskFailedError.failureDetails.properties. The runner must carry them exactly as the host does.
 */
const functions = new FunctionRegistry()
  .activity("deploy", async (input: unknown) => {
    if (input === "quota") throw new PipelineError("Not enough quota in eastus", { code: "QuotaExceeded", retryable: false, status: 409 });
    if (input === "plain") throw new TypeError("undefined is not a function");
    return "deployed";
  })
  .orchestration("deployCatching", function* (ctx: df.OrchestrationContext) {
    try {
      yield ctx.df.callActivity("deploy", ctx.df.getInput());
      return { ok: true };
    } catch (err) {
      if (!(err instanceof df.TaskFailedError)) throw err;
      const d = err.failureDetails;
      return { errorType: d.errorType, errorMessage: d.errorMessage, properties: d.properties ?? null, pipeline: d.isCausedBy("PipelineError"), taskName: err.taskName };
    }
  })
  .orchestration("deployUncaught", function* (ctx: df.OrchestrationContext) {
    ctx.df.setCustomStatus({ stage: "deployment" });
    yield ctx.df.callActivity("deploy", "quota");
    return "unreachable";
  });

describe("TaskFailedError.failureDetails from an activity that throws", () => {
  it("carries {code, stage, retryable} from a PipelineError through the provider", async () => {
    const { client } = harness(functions);
    const id = await client.startNew("deployCatching", { input: "quota" });
    const status = await client.waitForCompletion(id);
    expect(status.output).toEqual({
      errorType: "PipelineError",
      errorMessage: "Not enough quota in eastus",
      properties: { code: "QuotaExceeded", retryable: false, status: 409 },
      pipeline: true,
      taskName: "deploy",
    });
  });

  it("has no properties for errors the provider ignores, and keeps their type and message", async () => {
    const { client } = harness(functions);
    const id = await client.startNew("deployCatching", { input: "plain" });
    const status = await client.waitForCompletion(id);
    expect(status.output).toMatchObject({ errorType: "TypeError", errorMessage: "undefined is not a function", properties: null, pipeline: false });
  });

  it("an uncaught failure fails the instance; status and record keep the message and properties", async () => {
    const { runtime, client, events } = harness(functions);
    const id = await client.startNew("deployUncaught");
    const status = await client.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toBe("Orchestrator function 'deployUncaught' failed: PipelineError: Not enough quota in eastus");
    expect(status.customStatus).toEqual({ stage: "deployment" });
    expect(runtime.getInstance(id)?.failure?.details?.Properties).toEqual({ code: "QuotaExceeded", retryable: false, status: 409 });
    const failed = events.find((e) => e.type === "activityFailed");
    expect(failed?.type === "activityFailed" ? failed.failure.Properties : undefined).toMatchObject({ code: "QuotaExceeded" });
  });
});
