import { canonicalJson } from "../domain/canonicalJson";
import { requestDigest } from "../domain/ids";
import type { ServiceBusMessage } from "@azure/service-bus";
import type { DeployRequest } from "../contracts";
import { DIAGNOSTIC_ID_PROPERTY, formatTraceparent, type TraceParent } from "../tracing/traceparent";

/** The `subject` (AMQP `subject`, the Service Bus "Label") of every deploy request message. */
export const DEPLOY_REQUEST_SUBJECT = "DeployRequest";

/**
 * The queue message for a validated deploy request. The request id is the `messageId`, so a queue
 * with duplicate detection drops a repeat sent within its window (10 minutes by default); it is also
 * the `correlationId`, the same value the outcome notification carries, so one filter finds both.
 * The body is the request as validated (defaults applied), sent as JSON.
 */
/** The request's content digest (src/domain/ids.ts `requestDigest`). */
export function deployRequestMessageId(request: DeployRequest): string {
  return requestDigest(canonicalJson(request));
}

export function deployRequestMessage(request: DeployRequest, trace?: TraceParent): ServiceBusMessage {
  return {
    body: request,
    contentType: "application/json",
    // A digest of the content, not the request id: Service Bus duplicate detection drops a message
    // whose id it saw within the window, so a changed body under a used request id would vanish
    // silently; this way an identical resend is dropped and a changed one reaches the intake, which
    // rejects it (RequestIdConflict).
    messageId: deployRequestMessageId(request),
    correlationId: request.requestId,
    subject: DEPLOY_REQUEST_SUBJECT,
    // The trace the deployment continues: the property the Azure SDKs use for a message's W3C trace
    // context (src/tracing/traceparent.ts), read by the queue trigger.
    ...(trace ? { applicationProperties: { [DIAGNOSTIC_ID_PROPERTY]: formatTraceparent(trace) } } : {}),
  };
}
