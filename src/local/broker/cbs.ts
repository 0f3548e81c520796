/**
 * The `$cbs` node (claims-based security). Before attaching each link the SDK sends a put-token
 * request (`operation=put-token`, `name`=audience, `type`=`servicebus.windows.net:sastoken` or `jwt`)
 * and waits for a reply correlated by `correlation_id` = the request's `message_id` with a
 * `status-code` of 200-299. Tokens are not checked: this is a local stand-in.
 *
 * An audience naming an entity that does not exist is answered 404 / `amqp:not-found`; the SDK turns
 * that into a non-retryable `MessagingEntityNotFound` error before it even attaches the link.
 */
import type { Message } from "rhea";
import { Conditions } from "./constants";
import { parseEntityPath } from "./entityPaths";

export interface RequestReply {
  application_properties: Record<string, unknown>;
  body?: unknown;
}

export function handleCbsRequest(request: Message, entityExists: (audience: string) => boolean): RequestReply {
  const props = (request.application_properties ?? {}) as Record<string, unknown>;
  const operation = props["operation"];
  if (operation !== "put-token") {
    return cbsReply(400, `unsupported $cbs operation ${String(operation)}`, Conditions.notImplemented);
  }
  const audience = typeof props["name"] === "string" ? props["name"] : "";
  // A namespace-wide audience (no entity path) is always fine.
  if (parseEntityPath(audience) !== undefined && !entityExists(audience)) {
    return cbsReply(404, `The messaging entity '${audience}' could not be found.`, Conditions.notFound);
  }
  return cbsReply(202, "Accepted");
}

function cbsReply(statusCode: number, description: string, condition?: string): RequestReply {
  // The CBS client reads the dashed names ("status-code"); core-amqp's request/response link accepts both.
  return {
    application_properties: {
      "status-code": statusCode,
      "status-description": description,
      ...(condition ? { "error-condition": condition } : {}),
    },
  };
}
