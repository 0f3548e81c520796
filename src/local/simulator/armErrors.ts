/**
 * ARM error responses. Every ML and RBAC operation declares `default: ErrorResponse`, i.e.
 * `{"error": {"code", "message"}}` (common-types v3; README wire facts (b)); the SDK turns that body
 * into a `RestError` whose `code` is `error.code`.
 */

export interface ArmErrorBody {
  error: { code: string; message: string };
}

export function armErrorBody(code: string, message: string): ArmErrorBody {
  return { error: { code, message } };
}

/** Thrown by handlers; the server turns it into the HTTP response. */
export class ArmError extends Error {
  override readonly name = "ArmError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): ArmErrorBody {
    return armErrorBody(this.code, this.message);
  }
}

/** The code a fault answers with when the scenario gives only a status. */
export function defaultCodeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "AuthenticationFailed";
    case 403:
      return "AuthorizationFailed";
    case 404:
      return "ResourceNotFound";
    case 409:
      return "Conflict";
    // ARM throttling code (README wire facts (b), request-limits-and-throttling.md).
    case 429:
      return "SubscriptionRequestsThrottled";
    case 500:
      return "InternalServerError";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    default:
      return status >= 500 ? "InternalServerError" : "BadRequest";
  }
}

export function defaultMessageForStatus(status: number, retryAfterSeconds?: number): string {
  if (status === 429) {
    const wait = retryAfterSeconds ?? 0;
    return `Number of requests for subscription exceeded the limit. Please try again after '${wait}' seconds. (simulated throttling)`;
  }
  if (status >= 500) return `The service encountered an internal error (simulated HTTP ${status}).`;
  return `The request failed with HTTP ${status} (simulated fault).`;
}

/** 404 in the generic ARM form: "The Resource '{type}/{name}' under resource group '{rg}' was not found." */
export function resourceNotFound(resourceType: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    "ResourceNotFound",
    `The Resource '${resourceType}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

export function badArgument(message: string): ArmError {
  return new ArmError(400, "BadArgument", message);
}

export function conflict(message: string): ArmError {
  return new ArmError(409, "Conflict", message);
}
