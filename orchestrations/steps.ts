import type * as df from "durable-functions";
import { Activities, type ActivityInput, type ActivityName, type ActivityOutput, type ActivityStage } from "../src/activities/catalog";
import type { ProvisioningState } from "../src/contracts/activities";
import { TERMINAL_STATES } from "../src/contracts/activities";
import type { ErrorStage } from "../src/contracts/stages";
import type { ActivityRetryPolicy, DeployFlowInput, PollPolicy } from "../src/contracts/orchestration";
import { RUN_CONTEXT_FIELD, type RunContext } from "../src/contracts/runContext";
import { pollDelaySeconds } from "./pollDelays";
import { addSeconds } from "../src/domain/time";
import { CANCEL_EVENT } from "../src/domain/ids";
import { activityFailure, CancelRequested, StageFailure } from "./failures";

export type Step<T> = Generator<df.Task, T, unknown>;
type Ctx = df.OrchestrationContext;

/**
 * Calls an activity by its catalog name with typed input and output (closing the `any` of
 * `yield context.df.callActivity`), for a stage the catalog lists for it (a failure is that stage's). Failures marked retryable are retried on durable timers, waiting
 * the Retry-After the service gave or an exponential backoff; others end the stage at once.
 */
export function* callActivity<K extends ActivityName>(ctx: Ctx, stage: ActivityStage<K>, name: K, input: ActivityInput<K>, retry: ActivityRetryPolicy): Step<ActivityOutput<K>> {
  cancellationOf(ctx)?.throwIfRequested();
  for (let attempt = 1; ; attempt++) {
    try {
      return (yield ctx.df.callActivity(Activities[name], withRunContext(ctx, stage, input))) as ActivityOutput<K>;
    } catch (err) {
      const failure = activityFailure(err);
      if (!failure.retryable || attempt >= retry.maxAttempts) {
        throw new StageFailure(stage, failure.code, attempt > 1 ? `${failure.message} (after ${attempt} attempts)` : failure.message);
      }
      const backoff = Math.min(retry.maxDelaySeconds, retry.firstDelaySeconds * retry.backoffCoefficient ** (attempt - 1));
      yield* sleepUntil(ctx, addSeconds(ctx.df.currentUtcDateTime, failure.retryAfterSeconds ?? backoff));
    }
  }
}

/**
 * The run an activity works for, beside its input (src/contracts/runContext.ts): its instance and
 * stage for the activity's log lines, and the run's trace context for its span. Derived from the
 * orchestration's id and input only, so a replay schedules exactly what the first execution did.
 */
function withRunContext(ctx: Ctx, stage: string, input: unknown): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  const runInput = ctx.df.getInput() as Partial<DeployFlowInput> | undefined;
  const traceparent = runInput?.trace?.traceparent;
  const requestId = runInput?.request?.requestId;
  const endpoint = runInput?.request?.endpoint?.name;
  const run: RunContext = { instanceId: ctx.df.instanceId, stage, ...(requestId ? { requestId } : {}), ...(endpoint ? { endpoint } : {}), ...(traceparent ? { traceparent } : {}) };
  return { ...input, [RUN_CONTEXT_FIELD]: run };
}

/**
 * The monitor pattern: wait, poll, until the resource reaches a terminal state or the policy's
 * timeout passes. `onPoll` sees every state (the endpoint loop grants roles as soon as a
 * system-assigned principal appears); before `idleUntil` the policy's idle interval applies.
 */
export function* pollUntilTerminal<T extends { provisioningState: ProvisioningState }>(
  ctx: Ctx,
  stage: ErrorStage,
  policy: PollPolicy,
  first: { provisioningState: ProvisioningState; retryAfterSeconds: number | null },
  poll: () => Step<T>,
  options: { onPoll?: (state: T) => Step<void>; idleUntil?: Date } = {},
): Step<T> {
  const { onPoll, idleUntil } = options;
  const idle = () => (idleUntil ? { now: ctx.df.currentUtcDateTime, until: idleUntil } : undefined);
  const giveUpAt = addSeconds(ctx.df.currentUtcDateTime, policy.timeoutSeconds);
  let wait: number | null = TERMINAL_STATES.includes(first.provisioningState) ? null : pollDelaySeconds(policy, first.retryAfterSeconds, idle(), true);
  // Busy polls (after any idle period) without a result: the interval backs off with them.
  let busyPolls = 0;
  for (;;) {
    if (wait !== null) yield* sleepUntil(ctx, addSeconds(ctx.df.currentUtcDateTime, wait));
    const state = yield* poll();
    if (onPoll) yield* onPoll(state);
    if (TERMINAL_STATES.includes(state.provisioningState)) return state;
    if (ctx.df.currentUtcDateTime.getTime() >= giveUpAt.getTime()) {
      throw new StageFailure(stage, "PollTimeout", `still ${state.provisioningState} after ${Math.round(policy.timeoutSeconds / 60)} minutes`);
    }
    const idling = idleUntil !== undefined && ctx.df.currentUtcDateTime.getTime() < idleUntil.getTime();
    if (!idling) busyPolls++;
    wait = pollDelaySeconds(policy, null, idle(), false, Math.max(0, busyPolls - 1));
  }
}

/**
 * An operator's cancel (`POST /api/deployments/{id}/cancel` raises the external event
 * `CANCEL_EVENT`), raced against every durable wait of the run while it is armed. One event task
 * serves the whole run: durable-functions keeps an event that arrives before anyone waits for it and
 * delivers it to the first wait (TaskOrchestrationExecutor's deferred tasks), and an event that
 * arrives while an activity runs completes the task, which the next step sees (`isCompleted`).
 */
export class Cancellation {
  private readonly event: df.Task;
  private armed = true;

  constructor(
    private readonly ctx: Ctx,
    private readonly onDisarm: () => void = () => undefined,
  ) {
    this.event = ctx.df.waitForExternalEvent(CANCEL_EVENT);
    cancellations.set(ctx, this);
  }

  /** From here on (traffic moving, cleanup, notification) a cancel is ignored. */
  disarm(): void {
    if (!this.armed) return;
    this.armed = false;
    this.onDisarm();
  }

  throwIfRequested(): void {
    if (this.armed && this.event.isCompleted) throw new CancelRequested(reasonOf(this.event.result));
  }

  /**
   * Gives an event that arrived before the run started (while it queued for the endpoint's lock) its
   * chance: a wait due now, raced against the cancel.
   */
  *checkpoint(): Step<void> {
    yield* sleepUntil(this.ctx, this.ctx.df.currentUtcDateTime);
  }

  /** Waits for `event` or `timer`, whichever comes first, unless a cancel comes before both (the timer is then cancelled). */
  *eventOrTimer(event: df.Task, timer: df.TimerTask): Step<"event" | "timer"> {
    this.throwIfRequested();
    const winner = (yield this.ctx.df.Task.any(this.armed ? [event, timer, this.event] : [event, timer])) as df.Task;
    if (winner === timer) return "timer";
    timer.cancel();
    if (winner === event) return "event";
    throw new CancelRequested(reasonOf(this.event.result));
  }

  /** Waits for `timer`, unless a cancel comes first. */
  *race(timer: df.TimerTask): Step<void> {
    if (!this.armed) {
      yield timer;
      return;
    }
    this.throwIfRequested();
    const winner = yield this.ctx.df.Task.any([timer, this.event]);
    if (winner !== timer) {
      timer.cancel();
      throw new CancelRequested(reasonOf(this.event.result));
    }
  }
}

const cancellations = new WeakMap<Ctx, Cancellation>();

function cancellationOf(ctx: Ctx): Cancellation | undefined {
  return cancellations.get(ctx);
}

/** A durable timer until `fireAt`, cancellable while the run's Cancellation is armed. */
export function* sleepUntil(ctx: Ctx, fireAt: Date): Step<void> {
  const timer = ctx.df.createTimer(fireAt);
  const cancellation = cancellationOf(ctx);
  if (cancellation) yield* cancellation.race(timer);
  else yield timer;
}

function reasonOf(payload: unknown): string {
  const reason = (payload as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === "string" && reason.trim() !== "" ? reason.slice(0, 500) : "cancelled by an operator";
}
