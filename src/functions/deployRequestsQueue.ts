import type { InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { admitRequest } from "../intake/intake";
import { inIntakeSpan } from "../tracing/intakeSpan";
import { traceparentOfProperties } from "../tracing/traceparent";
import { intakeDeps } from "./appServices";

/**
 * A deploy request from the `deploy-requests` queue. Invalid input publishes a Rejected notification
 * and returns normally, so the message is completed rather than retried ten times; only a failure to
 * start (transient) throws, so Service Bus redelivers and finally dead-letters it.
 */
export async function deployRequestFromQueue(message: unknown, client: df.DurableClient, context: InvocationContext): Promise<void> {
  const messageId = String(context.triggerMetadata?.["messageId"] ?? context.invocationId);
  const carried = traceparentOfProperties(context.triggerMetadata?.["applicationProperties"]);
  await inIntakeSpan("queue", carried, context, () => admitRequest(message, `queue:${messageId}`, "queue", intakeDeps(client, context), { publishRejection: true }));
}
