import type { InvocationContext } from "@azure/functions";
import type { ActivityName } from "../activities/catalog";
import { inRunScope } from "../activities/runScope";
import { takeRunContext } from "../contracts/runContext";
import { ATTR, inSpan } from "../tracing/spans";
import { parseTraceparent } from "../tracing/traceparent";
import { appActivities } from "./appServices";

/**
 * One handler per activity; each forwards to the implementation built from injected clients, in a
 * span of its own: a child of the run's trace (the run context the orchestrator sent beside the
 * input, src/contracts/runContext.ts), so the Azure SDK's spans for its ARM and Service Bus calls
 * fall under it. An activity runs once per scheduled call — a replay reads its result from history —
 * so a replay adds no span.
 */
export function activityHandler(name: ActivityName) {
  return (raw: unknown, context: InvocationContext): Promise<unknown> => {
    const { input, run } = takeRunContext(raw);
    const attributes = { [ATTR.activity]: name, ...(run?.instanceId ? { [ATTR.instanceId]: run.instanceId } : {}), ...(run?.stage ? { [ATTR.stage]: run.stage } : {}) };
    // The activity's log lines go to this invocation's log, each naming the run and stage (src/activities/runScope.ts).
    const sink = { info: (m: string) => context.log(m), warn: (m: string) => context.warn(m) };
    return inSpan(`flowdeploy activity ${name}`, { attributes, parent: parseTraceparent(run?.traceparent) ?? null }, () =>
      inRunScope(run, sink, () => (appActivities()[name] as (i: unknown) => Promise<unknown>)(input)),
    );
  };
}
