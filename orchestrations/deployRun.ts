import type * as df from "durable-functions";
import type { EndpointState, RegisteredModel } from "../src/contracts/activities";
import type { DeployRequest } from "../src/contracts/deployRequest";
import type { ActivityRetryPolicy, DeployFlowInput, PollPolicies } from "../src/contracts/orchestration";
import { Compensations } from "./compensations";
import type { RunRecord } from "./runRecord";
import { Cancellation } from "./steps";

/**
 * What every step of one deployment shares: the context, the request and the app's policies from the
 * input, the run's record (stages, custom status), the operator's cancel, and the saga's ledger of
 * undos. The results a notification reports whatever happens next (the endpoint as last read, the
 * model) are kept here as steps produce them.
 */
export interface DeployRun {
  readonly ctx: df.OrchestrationContext;
  readonly input: DeployFlowInput;
  readonly request: DeployRequest;
  readonly retry: ActivityRetryPolicy;
  readonly polls: PollPolicies;
  readonly record: RunRecord;
  readonly cancellation: Cancellation;
  readonly undo: Compensations;
  /** The endpoint as the last step read it (undefined until the endpoint stage ends). */
  endpoint: EndpointState | undefined;
  /** The model deployed (undefined until the model stage ends). */
  model: RegisteredModel | undefined;
}

/** Starts a deployment's shared state; the cancel is honoured from here until traffic moves. */
export function deployRun(ctx: df.OrchestrationContext, input: DeployFlowInput, record: RunRecord): DeployRun {
  return {
    ctx,
    input,
    request: input.request,
    retry: input.retry,
    polls: input.polls,
    record,
    // Custom status says when a cancel stops being honoured (the cancel route and the status page read it).
    cancellation: new Cancellation(ctx, () => record.cancelDisarmed()),
    undo: new Compensations(ctx),
    endpoint: undefined,
    model: undefined,
  };
}
