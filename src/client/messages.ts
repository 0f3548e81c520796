import { createHash } from "node:crypto";
import { canonicalJson } from "../domain/canonicalJson";
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
/** `r-` + 32 hex of SHA-256 over the request's canonical JSON (Service Bus message ids hold at most 128 characters). */
export function deployRequestMessageId(request: DeployRequest): string {
  return `r-${createHash("sha256").update(canonicalJson(request), "utf8").digest("hex").slice(0, 32)}`;
}

export function deployRequestMessage(request: DeployRequest): ServiceBusMessage {
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
  };
}
