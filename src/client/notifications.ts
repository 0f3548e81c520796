import type { ServiceBusReceivedMessage } from "@azure/service-bus";
import { Outcome, OUTCOMES, parseJsonText, parseNotification, type DeploymentNotification, type Parsed } from "../contracts";

/** What a watcher wants to see; every field given must match (AND). */
export interface NotificationFilter {
  outcome?: Outcome | undefined;
  requestId?: string | undefined;
  /**
   * Only the answers to this body (`requestDigest`, the message id `enqueue` returned): another body
   * sent under the same request id is someone else's. Notifications without a digest still match.
   */
  requestDigest?: string | undefined;
}

/**
 * The notification a received message carries. The SDK hands back a JSON data section already
 * parsed; bytes it could not parse arrive as a Buffer, and a body sent as a JSON string (a double
 * encoding some producers do) as a string: both are parsed here so their problems are named.
 */
export function notificationFromMessage(message: Pick<ServiceBusReceivedMessage, "body">): Parsed<DeploymentNotification> {
  const body: unknown = message.body;
  if (typeof body === "string" || body instanceof Uint8Array) {
    const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    const json = parseJsonText(text);
    return json.ok ? parseNotification(json.value) : json;
  }
  return parseNotification(body);
}

export function matchesFilter(notification: DeploymentNotification, filter: NotificationFilter): boolean {
  return (
    (filter.outcome === undefined || notification.outcome === filter.outcome) &&
    (filter.requestId === undefined || notification.requestId === filter.requestId) &&
    (filter.requestDigest === undefined || notification.requestDigest === undefined || notification.requestDigest === filter.requestDigest)
  );
}

/** Checks a filter given by JavaScript callers (or a CLI flag) before any network call. */
export function checkFilter(filter: NotificationFilter): void {
  if (filter.outcome !== undefined && !Outcome.safeParse(filter.outcome).success) {
    throw new RangeError(`outcome must be one of ${OUTCOMES.join(", ")}; got ${JSON.stringify(filter.outcome)}`);
  }
  if (filter.requestId !== undefined && filter.requestId.trim() === "") throw new RangeError("requestId must not be empty");
}
