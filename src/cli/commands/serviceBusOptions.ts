import { Option, type Command } from "commander";
import { RetryMode, type ServiceBusClientOptions } from "@azure/service-bus";
import { connectionFromEnvironment, isFullyQualifiedNamespace, normalizeNamespace, redactSecrets, type ServiceBusConnection } from "../../client/connection";
import { UsageError } from "../io";

/** The connection flags `enqueue` and `watch` share. */
export interface ConnectionFlags {
  connectionString?: string;
  namespace?: string;
}

export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--connection-string <S>", "Service Bus connection string (default: the ServiceBusConnection environment variable)").conflicts("namespace"),
    )
    .addOption(
      new Option(
        "--namespace <NS>",
        "fully qualified namespace (my-ns.servicebus.windows.net), signed in with DefaultAzureCredential (default: ServiceBusConnection__fullyQualifiedNamespace)",
      ),
    );
}

const HOW_TO_CONNECT =
  "no Service Bus connection: pass --connection-string or --namespace, or set ServiceBusConnection (a connection string) or ServiceBusConnection__fullyQualifiedNamespace (signs in with DefaultAzureCredential)";

/** The connection from the flags, else from the app's settings in the environment; a usage error naming both ways when there is none. */
export function resolveConnection(flags: ConnectionFlags, env: Record<string, string | undefined>): ServiceBusConnection {
  if (flags.connectionString !== undefined) {
    if (flags.connectionString.trim() === "") throw new UsageError("--connection-string is empty");
    return { connectionString: flags.connectionString.trim() };
  }
  if (flags.namespace !== undefined) {
    if (!isFullyQualifiedNamespace(flags.namespace)) {
      // Redacted: a connection string pasted here by mistake must not reach the terminal with its key.
      throw new UsageError(`--namespace expects the fully qualified namespace, such as my-ns.servicebus.windows.net; got '${redactSecrets(flags.namespace)}'`);
    }
    return { fullyQualifiedNamespace: normalizeNamespace(flags.namespace) };
  }
  const fromEnv = connectionFromEnvironment(env);
  if (!fromEnv) throw new UsageError(HOW_TO_CONNECT);
  return fromEnv;
}

/**
 * A person is waiting on the command: fail within seconds, not the SDK's defaults (3 retries 30 s
 * apart, 60 s per operation). Exponential back-off 0.5 s, 1 s, 2 s; 20 s per attempt.
 */
export const CLI_SERVICE_BUS_OPTIONS: ServiceBusClientOptions = {
  retryOptions: { mode: RetryMode.Exponential, maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 5_000, timeoutInMs: 20_000 },
};

/** A malformed connection string is a bad flag or setting: a usage error, with any key redacted. */
export function createOrUsageError<T>(create: () => T, connection: ServiceBusConnection): T {
  try {
    return create();
  } catch (err) {
    throw new UsageError(`cannot use the Service Bus connection: ${redactSecrets((err as Error).message ?? String(err), connection)}`);
  }
}
