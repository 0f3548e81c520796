import type { InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { admitEvent } from "../intake/intake";
import { intakeDeps } from "./appServices";

/**
 * Event Grid: PromptFlow.BulkTestPassed (Event Grid schema or CloudEvents) and Azure ML RunCompleted.
 * Ignored events are logged and acknowledged; rejected ones publish a Rejected notification. Delivery
 * is at-least-once: the instance id derives from the run id, so a redelivery starts nothing.
 */
export async function bulkTestEvent(event: unknown, client: df.DurableClient, context: InvocationContext): Promise<void> {
  await admitEvent(event, intakeDeps(client, context));
}
