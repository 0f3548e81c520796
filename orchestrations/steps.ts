import type * as df from "durable-functions";
import { Activities, type ActivityInput, type ActivityName, type ActivityOutput } from "../src/activities/catalog";
import type { ProvisioningState } from "../src/contracts/activities";
import { TERMINAL_STATES } from "../src/contracts/activities";
import type { ErrorStage } from "../src/contracts/notification";
import type { ActivityRetryPolicy } from "../src/contracts/orchestration";
import { pollDelaySeconds, type PollPolicy } from "../src/domain/pollPolicy";
import { addSeconds } from "../src/domain/time";
import { activityFailure, StageFailure } from "./failures";

export type Step<T> = Generator<df.Task, T, unknown>;
type Ctx = df.OrchestrationContext;

/**
 * Calls an activity by its catalog name with typed input and output (closing the `any` of
 * `yield context.df.callActivity`). Failures marked retryable are retried on durable timers, waiting
 * the Retry-After the service gave or an exponential backoff; others end the stage at once.
 */
export function* callActivity<K extends ActivityName>(ctx: Ctx, stage: ErrorStage, name: K, input: ActivityInput<K>, retry: ActivityRetryPolicy): Step<ActivityOutput<K>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (yield ctx.df.callActivity(Activities[name], input)) as ActivityOutput<K>;
    } catch (err) {
      const failure = activityFailure(err);
      if (!failure.retryable || attempt >= retry.maxAttempts) {
        throw new StageFailure(stage, failure.code, attempt > 1 ? `${failure.message} (after ${attempt} attempts)` : failure.message);
      }
      const backoff = Math.min(retry.maxDelaySeconds, retry.firstDelaySeconds * retry.backoffCoefficient ** (attempt - 1));
      yield ctx.df.createTimer(addSeconds(ctx.df.currentUtcDateTime, failure.retryAfterSeconds ?? backoff));
    }
  }
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
  for (;;) {
    if (wait !== null) yield ctx.df.createTimer(addSeconds(ctx.df.currentUtcDateTime, wait));
    const state = yield* poll();
    if (onPoll) yield* onPoll(state);
    if (TERMINAL_STATES.includes(state.provisioningState)) return state;
    if (ctx.df.currentUtcDateTime.getTime() >= giveUpAt.getTime()) {
      throw new StageFailure(stage, "PollTimeout", `still ${state.provisioningState} after ${Math.round(policy.timeoutSeconds / 60)} minutes`);
    }
    wait = pollDelaySeconds(policy, null, idle());
  }
}
