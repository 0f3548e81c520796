import { DefaultAzureCredential } from "@azure/identity";
import { ServiceBusClient, type ServiceBusClientOptions, type TokenCredential } from "@azure/service-bus";

/**
 * How to reach the Service Bus namespace: a connection string (SAS, or the local broker's
 * `UseDevelopmentEmulator=true` string), or the namespace with a Microsoft Entra credential
 * (DefaultAzureCredential when none is given).
 */
export type ServiceBusConnection = { connectionString: string } | { fullyQualifiedNamespace: string; credential?: TokenCredential };

/** The names the app uses unless its settings DEPLOY_QUEUE_NAME / NOTIFICATION_TOPIC_NAME say otherwise. */
export const DEFAULT_QUEUE_NAME = "deploy-requests";
export const DEFAULT_TOPIC_NAME = "deployment-notifications";

export function createServiceBusClientFor(connection: ServiceBusConnection, options?: ServiceBusClientOptions): ServiceBusClient {
  if ("connectionString" in connection) return new ServiceBusClient(connection.connectionString, options);
  return new ServiceBusClient(normalizeNamespace(connection.fullyQualifiedNamespace), connection.credential ?? new DefaultAzureCredential(), options);
}

/** `sb://my-ns.servicebus.windows.net/` → `my-ns.servicebus.windows.net`. */
export function normalizeNamespace(namespace: string): string {
  return namespace.trim().replace(/^sb:\/\//i, "").replace(/\/+$/, "");
}

/** A fully qualified namespace has a domain: `my-ns` alone is a mistake worth naming before any network call. */
export function isFullyQualifiedNamespace(namespace: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9-]+)+(:\d+)?$/.test(normalizeNamespace(namespace));
}

/**
 * The connection the Functions app's own settings describe, read the way the host reads them: the
 * exact-name `ServiceBusConnection` (a connection string) wins over
 * `ServiceBusConnection__fullyQualifiedNamespace` (identity; `ServiceBusConnection__clientId` picks a
 * user-assigned managed identity).
 */
export function connectionFromEnvironment(env: Record<string, string | undefined>): ServiceBusConnection | undefined {
  const connectionString = env["ServiceBusConnection"]?.trim();
  if (connectionString) return { connectionString };
  const namespace = env["ServiceBusConnection__fullyQualifiedNamespace"]?.trim();
  if (!namespace) return undefined;
  const clientId = env["ServiceBusConnection__clientId"]?.trim();
  return { fullyQualifiedNamespace: namespace, ...(clientId ? { credential: new DefaultAzureCredential({ managedIdentityClientId: clientId }) } : {}) };
}

/** Where a connection points, safe to print: the endpoint host, never a key. */
export function describeConnection(connection: ServiceBusConnection): string {
  if (!("connectionString" in connection)) return normalizeNamespace(connection.fullyQualifiedNamespace);
  const endpoint = /(?:^|;)\s*Endpoint\s*=\s*([^;]+)/i.exec(connection.connectionString)?.[1];
  return endpoint ? normalizeNamespace(endpoint) : "(connection string without an Endpoint)";
}

const SECRET_SETTING = /\b(SharedAccessKey|SharedAccessSignature)\s*=\s*("[^"]*"|[^;\s]*)/gi;

/**
 * Removes SAS secrets from text headed for a terminal or a log: `SharedAccessKey=...` and
 * `SharedAccessSignature=...` settings, and the key itself wherever it appears when the connection
 * string is known.
 */
export function redactSecrets(text: string, connection?: ServiceBusConnection): string {
  let out = text.replace(SECRET_SETTING, "$1=***");
  const key = connection && "connectionString" in connection ? /(?:^|;)\s*SharedAccessKey\s*=\s*([^;]+)/i.exec(connection.connectionString)?.[1]?.trim() : undefined;
  // A very short "key" (the local broker accepts any) would redact ordinary words; real SAS keys are 44 characters.
  if (key && key.length >= 8) out = out.split(key).join("***");
  return out;
}
