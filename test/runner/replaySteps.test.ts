import * as df from "durable-functions";
import { describe, expect, it } from "vitest";
import { FunctionRegistry, history, HistoryBuilder, invokeOrchestrator, type HostHandler } from "../../src/local/runner";
import { at, MINUTE, T0 } from "./support/harness";

/**
 * One replay step at a time, through durable-functions' own engine (the registered handler), the way
 * durable-js test/integration/orchestrator-spec.ts tests orchestrators: build the history the host
 * would send, invoke, assert the actions the orchestrator emits at that step.
 */

const functions = new FunctionRegistry()
  .orchestration("greetAndWait", function* (ctx: df.OrchestrationContext) {
    const name = ctx.df.getInput<string>();
    const greeting: string = yield ctx.df.callActivity("greet", name);
    ctx.df.setCustomStatus({ stage: "propagation" });
    // Role assignments can take >15 min to take effect: wait 16 durable minutes.
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 16 * MINUTE));
    const done: string = yield ctx.df.callActivity("finish", { greeting });
    return done;
  })
  .orchestration("race", function* (ctx: df.OrchestrationContext) {
    const deadline = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 30 * MINUTE));
    const work = ctx.df.callActivity("work");
    const winner: unknown = yield ctx.df.Task.any([work, deadline]);
    if (winner === work) {
      deadline.cancel();
      return "work";
    }
    return "timeout";
  })
  .orchestration("retrying", function* (ctx: df.OrchestrationContext) {
    const result: string = yield ctx.df.callActivityWithRetry("flaky", new df.RetryOptions(1000, 3), "x");
    return result;
  })
  .orchestration("catching", function* (ctx: df.OrchestrationContext) {
    try {
      yield ctx.df.callActivity("deploy");
      return "no error";
    } catch (err) {
      if (!(err instanceof df.TaskFailedError)) throw err;
      return { type: err.failureDetails.errorType, properties: err.failureDetails.properties, causedByPipeline: err.failureDetails.isCausedBy("PipelineError") };
    }
  });

const handler = (name: string): HostHandler => {
  const h = functions.orchestrations.get(name);
  if (!h) throw new Error(`no ${name}`);
  return h;
};

const callActivity = (functionName: string, input?: unknown) => ({ actionType: 0, functionName, ...(input === undefined ? {} : { input }) });
const createTimer = (fireAt: string, isCanceled = false) => ({ actionType: 5, fireAt, isCanceled });

describe("greetAndWait, step by step", () => {
  const t1 = at(1_000);
  const fireAt = at(1_000 + 16 * MINUTE);
  const t3 = at(2_000 + 16 * MINUTE);
  const started = () => new HistoryBuilder().start(T0, "greetAndWait", '"ada"');

  it("episode 1: schedules greet with the input (a string input arrives JSON-encoded)", async () => {
    const r = await invokeOrchestrator(handler("greetAndWait"), { history: started().build(), input: "ada" });
    expect(r.isDone).toBe(false);
    expect(r.actions).toEqual([[callActivity("greet", '"ada"')]]);
  });

  it("episode 2: after greet completes, sets the stage and schedules a timer 16 minutes after the episode time", async () => {
    const h = started().scheduled(history.taskScheduled(0, T0, "greet", '"ada"')).episode(t1, history.taskCompleted(0, t1, '"hello ada"'));
    const r = await invokeOrchestrator(handler("greetAndWait"), { history: h.build(), input: "ada" });
    expect(r.actions).toEqual([[callActivity("greet", '"ada"'), createTimer(fireAt)]]);
    expect(r.customStatus).toEqual({ stage: "propagation" });
  });

  it("episode 2': a completion for a task id the library did not assign resumes nothing", async () => {
    const h = started().scheduled(history.taskScheduled(0, T0, "greet", '"ada"')).episode(t1, history.taskCompleted(7, t1, '"hello ada"'));
    const r = await invokeOrchestrator(handler("greetAndWait"), { history: h.build(), input: "ada" });
    expect(r.actions).toEqual([[callActivity("greet", '"ada"')]]);
  });

  it("episode 3: after the timer fires (TimerId 1), schedules finish", async () => {
    const h = started()
      .scheduled(history.taskScheduled(0, T0, "greet", '"ada"'))
      .episode(t1, history.taskCompleted(0, t1, '"hello ada"'))
      .scheduled(history.timerCreated(1, t1, fireAt))
      .episode(fireAt, history.timerFired(1, fireAt, fireAt));
    const r = await invokeOrchestrator(handler("greetAndWait"), { history: h.build(), input: "ada" });
    expect(r.actions).toEqual([[callActivity("greet", '"ada"'), createTimer(fireAt), callActivity("finish", { greeting: "hello ada" })]]);
    expect(r.isDone).toBe(false);
  });

  it("episode 4: completes with finish's result", async () => {
    const h = started()
      .scheduled(history.taskScheduled(0, T0, "greet", '"ada"'))
      .episode(t1, history.taskCompleted(0, t1, '"hello ada"'))
      .scheduled(history.timerCreated(1, t1, fireAt))
      .episode(fireAt, history.timerFired(1, fireAt, fireAt))
      .scheduled(history.taskScheduled(2, fireAt, "finish", '{"greeting":"hello ada"}'))
      .episode(t3, history.taskCompleted(2, t3, '"done"'));
    const r = await invokeOrchestrator(handler("greetAndWait"), { history: h.build(), input: "ada" });
    expect(r.isDone).toBe(true);
    expect(r.output).toBe("done");
  });
});

describe("race (Task.any of an activity and a timer), step by step", () => {
  const deadline = at(30 * MINUTE);
  // Ids follow the order Task.any's children are yielded in (work 0, timer 1), not the order they were created.
  const started = () => new HistoryBuilder().start(T0, "race").scheduled(history.taskScheduled(0, T0, "work"), history.timerCreated(1, T0, deadline));

  it("episode 1: emits one WhenAny action holding both tasks", async () => {
    const r = await invokeOrchestrator(handler("race"), { history: new HistoryBuilder().start(T0, "race").build() });
    expect(r.actions).toEqual([[{ actionType: 11, compoundActions: [callActivity("work"), createTimer(deadline)] }]]);
  });

  it("the activity wins: the loser timer comes back cancelled", async () => {
    const h = started().episode(at(5_000), history.taskCompleted(0, at(5_000), "null"));
    const r = await invokeOrchestrator(handler("race"), { history: h.build() });
    expect(r.output).toBe("work");
    expect(r.actions).toEqual([[{ actionType: 11, compoundActions: [callActivity("work"), createTimer(deadline, true)] }]]);
  });

  it("the timer wins", async () => {
    const h = started().episode(deadline, history.timerFired(1, deadline, deadline));
    const r = await invokeOrchestrator(handler("race"), { history: h.build() });
    expect(r.output).toBe("timeout");
  });
});

describe("callActivityWithRetry, step by step: the host retries, the library counts", () => {
  const fail = (id: number, t: string) => history.taskFailed(id, t, { ErrorType: "Error", ErrorMessage: "transient" });
  const retryAction = { actionType: 1, functionName: "flaky", input: '"x"', retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 3 } };

  it("one action for all attempts; after a failure the library waits for retry timer id 1, then for attempt id 2", async () => {
    const base = new HistoryBuilder().start(T0, "retrying").scheduled(history.taskScheduled(0, T0, "flaky", '"x"'));
    const afterFailure = await invokeOrchestrator(handler("retrying"), { history: base.episode(at(1), fail(0, at(1))).build() });
    expect(afterFailure.actions).toEqual([[retryAction]]);
    expect(afterFailure.isDone).toBe(false);

    const retried = new HistoryBuilder()
      .start(T0, "retrying")
      .scheduled(history.taskScheduled(0, T0, "flaky", '"x"'))
      .episode(at(1), fail(0, at(1)))
      .scheduled(history.timerCreated(1, at(1), at(1_001)))
      .episode(at(1_001), history.timerFired(1, at(1_001), at(1_001)))
      .scheduled(history.taskScheduled(2, at(1_001), "flaky", '"x"'))
      .episode(at(1_002), history.taskCompleted(2, at(1_002), '"ok"'));
    const done = await invokeOrchestrator(handler("retrying"), { history: retried.build() });
    expect(done.actions).toEqual([[retryAction]]);
    expect(done.output).toBe("ok");
  });

  it("a completion under the retry timer's id would be misread: ids must follow the library's counter", async () => {
    const wrong = new HistoryBuilder()
      .start(T0, "retrying")
      .scheduled(history.taskScheduled(0, T0, "flaky", '"x"'))
      .episode(at(1), fail(0, at(1)))
      .episode(at(2), history.taskCompleted(1, at(2), '"ok"'));
    const r = await invokeOrchestrator(handler("retrying"), { history: wrong.build() });
    expect(r.isDone).toBe(false); // the retry task took the completion as its timer and waits for another attempt
  });
});

describe("failure details on the wire", () => {
  it("TaskFailed.FailureDetails reaches the orchestrator as TaskFailedError.failureDetails", async () => {
    const h = new HistoryBuilder()
      .start(T0, "catching")
      .scheduled(history.taskScheduled(0, T0, "deploy"))
      .episode(
        at(1),
        history.taskFailed(0, at(1), { ErrorType: "PipelineError", ErrorMessage: "quota", IsNonRetriable: false, Properties: { code: "QuotaExceeded", stage: "deployment", retryable: false } }),
      );
    const r = await invokeOrchestrator(handler("catching"), { history: h.build() });
    expect(r.output).toEqual({ type: "PipelineError", properties: { code: "QuotaExceeded", stage: "deployment", retryable: false }, causedByPipeline: true });
  });

  it("an uncaught failure surfaces as the orchestrator's error with the failure details", async () => {
    const h = new HistoryBuilder()
      .start(T0, "greetAndWait", '"ada"')
      .scheduled(history.taskScheduled(0, T0, "greet", '"ada"'))
      .episode(at(1), history.taskFailed(0, at(1), { ErrorType: "TypeError", ErrorMessage: "boom" }));
    const r = await invokeOrchestrator(handler("greetAndWait"), { history: h.build(), input: "ada" });
    expect(r.error).toBe("TypeError: boom");
    expect(r.failureDetails).toMatchObject({ ErrorType: "TypeError", ErrorMessage: "boom" });
  });
});
