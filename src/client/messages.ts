import type { ServiceBusMessage } from "@azure/service-bus";
import type { DeployRequest } from "../contracts";

/** The `subject` (AMQP `subject`, the Service Bus "Label") of every deploy request message. */
export const DEPLOY_REQUEST_SUBJECT = "DeployRequest";

/**
 * The queue message for a validated deploy request. The request id is the `messageId`, so a queue
 * with duplicate detection drops a repeat sent within its window (10 minutes by default); it is also
 * the `correlationId`, the same value the outcome notification carries, so one filter finds both.
 * The body is the request as validated (defaults applied), sent as JSON.
 */
export function deployRequestMessage(request: DeployRequest): ServiceBusMessage {
  return {
    body: request,
    contentType: "application/json",
    messageId: request.requestId,
    correlationId: request.requestId,
    subject: DEPLOY_REQUEST_SUBJECT,
  };
}
