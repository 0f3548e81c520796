import { formatIssues, type FieldIssue } from "../contracts";
import { describeConnection, redactSecrets, type ServiceBusConnection } from "./connection";

/** A deploy request that does not meet the contract; nothing was sent. */
export class RequestValidationError extends Error {
  override readonly name = "RequestValidationError";
  /** Every problem, with the path of the field it concerns (`deployment.instanceCount`). */
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    const lines = formatIssues(issues);
    super(`invalid deploy request: ${lines.join("; ")}`);
    this.issues = issues;
  }

  /** One line per problem, each naming the field: `deployment.instanceCount: expected a positive integer`. */
  lines(): string[] {
    return formatIssues(this.issues);
  }
}

/** What a Service Bus operation was doing, for error messages. */
export interface OperationTarget {
  connection: ServiceBusConnection;
  /** `queue 'deploy-requests'` or `subscription 'all' of topic 'deployment-notifications'`. */
  entity: string;
}

/**
 * One secret-free line for an error thrown by the Service Bus SDK or the credential: what failed,
 * where, and the SDK's code. Keys never appear: the text is redacted with the connection known.
 */
export function describeServiceBusError(err: unknown, target: OperationTarget): string {
  const host = describeConnection(target.connection);
  const e = (typeof err === "object" && err !== null ? err : {}) as { code?: unknown; name?: unknown; message?: unknown };
  const code = typeof e.code === "string" ? e.code : undefined;
  const name = typeof e.name === "string" ? e.name : undefined;
  const message = firstLine(typeof e.message === "string" ? e.message : String(err));
  let line: string;
  switch (code ?? name) {
    case "MessagingEntityNotFound":
      line = `${target.entity} does not exist in ${host} (MessagingEntityNotFound): create it, or check the name`;
      break;
    case "UnauthorizedAccess":
      line = `not authorized for ${target.entity} in ${host} (UnauthorizedAccess): ${message}`;
      break;
    case "MessagingEntityDisabled":
      line = `${target.entity} in ${host} is disabled (MessagingEntityDisabled)`;
      break;
    case "CredentialUnavailableError":
    case "AggregateAuthenticationError":
    case "AuthenticationError":
      line = `no usable Azure credential for ${host} (${name}): sign in with 'az login', or use a managed identity; ${message}`;
      break;
    default:
      line = `${target.entity} in ${host}: ${message}${code ? ` (${code})` : name && name !== "Error" ? ` (${name})` : ""}`;
  }
  return redactSecrets(line, target.connection);
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]!.trim();
}
