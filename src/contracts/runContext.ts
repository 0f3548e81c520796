/**
 * What an activity's input carries beside its own fields: the run it works for. The orchestrator adds
 * it to every activity call (orchestrations/steps.ts); the activity host takes it off before the
 * activity sees its input (src/functions/activities.ts) and uses it for the activity's span and log
 * lines. Histories recorded before it existed have none: everything in it is optional to the reader.
 */
export const RUN_CONTEXT_FIELD = "_run";

export interface RunContext {
  instanceId: string;
  stage: string;
  /** The deploy request's id and endpoint (for log lines), when the run deploys one. */
  requestId?: string;
  endpoint?: string;
  /** The run's W3C trace context (DeployFlowInput.trace), when the request was traced. */
  traceparent?: string;
}

/** Splits an activity's input into its own fields and the run context, if it carries one. */
export function takeRunContext(input: unknown): { input: unknown; run: Partial<RunContext> | undefined } {
  if (typeof input !== "object" || input === null || Array.isArray(input) || !(RUN_CONTEXT_FIELD in input)) return { input, run: undefined };
  const { [RUN_CONTEXT_FIELD]: run, ...rest } = input as Record<string, unknown>;
  return { input: rest, run: typeof run === "object" && run !== null ? (run as Partial<RunContext>) : undefined };
}
