import type { InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { admitEvent } from "../intake/intake";
import { inIntakeSpan } from "../tracing/intakeSpan";
import { parseTraceparent } from "../tracing/traceparent";
import { intakeDeps } from "./appServices";

/**
 * Event Grid: PromptFlow.BulkTestPassed (Event Grid schema or CloudEvents) and Azure ML RunCompleted.
 * Ignored events are logged and acknowledged; rejected ones publish a Rejected notification. Delivery
 * is at-least-once: the instance id derives from the run id, so a redelivery starts nothing.
 */
export async function bulkTestEvent(event: unknown, client: df.DurableClient, context: InvocationContext): Promise<void> {
  // CloudEvents' distributed tracing extension: a `traceparent` attribute on the event itself.
  const carried = parseTraceparent((event as { traceparent?: unknown } | null)?.traceparent);
  await inIntakeSpan("eventGrid", carried, context, () => admitEvent(event, intakeDeps(client, context)));
}
