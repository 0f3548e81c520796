import { z } from "zod";
import { IMAGE_REFERENCE } from "./domain/promptFlowRuntime";
import { Threshold } from "./contracts/events";
import { formatIssues } from "./contracts/issues";

/**
 * The app's settings, parsed once from the environment (app settings in Azure, local.settings.json
 * under Core Tools). Used by triggers and activities; never by orchestrators, which get the values
 * they need in their input (environment variables are nondeterministic for replay).
 */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** A list of resource ids separated by commas, semicolons or whitespace, lower-cased (ARM ids compare ignoring case). */
function idList(value: string | undefined): string[] {
  return list(value).map((id) => id.toLowerCase());
}

/** A list setting: entries separated by commas, semicolons or whitespace. */
function list(value: string | undefined): string[] {
  return (value ?? "").split(/[\s,;]+/).filter(Boolean);
}

/** An optional setting holding a positive whole number. */
function positiveInt() {
  return optionalString.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (Number.isInteger(n) && n > 0) return n;
    ctx.addIssue({ code: "custom", message: "must be a positive whole number" });
    return z.NEVER;
  });
}

const Gates = z.record(z.string().min(1), Threshold);

function parseGates(text: string, ctx: z.RefinementCtx): Record<string, Threshold> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: "custom", message: 'not valid JSON; expected {"metric": minimum, "other": {"min": 0.1, "max": 0.9}}' });
    return z.NEVER;
  }
  const parsed = Gates.safeParse(json);
  if (!parsed.success) {
    ctx.addIssue({ code: "custom", message: `expected {metric: minimum | {min?, max?}}: ${formatIssues(parsed.error.issues).join("; ")}` });
    return z.NEVER;
  }
  return parsed.data;
}

/** Exported for test/infra (the settings the templates must set: `ConfigSchema.in.shape`); the app uses parseConfig. */
export const ConfigSchema = z
  .object({
    DEPLOY_QUEUE_NAME: optionalString.transform((v) => v ?? "deploy-requests"),
    NOTIFICATION_TOPIC_NAME: optionalString.transform((v) => v ?? "deployment-notifications"),
    /** A Service Bus connection string (the local broker, or SAS); exact-name settings win over `__` ones, as in the host. */
    ServiceBusConnection: optionalString,
    ServiceBusConnection__fullyQualifiedNamespace: optionalString,
    ServiceBusConnection__clientId: optionalString,
    /** Workspace resource ids that may be targeted, separated by commas, semicolons or whitespace. */
    FLOWDEPLOY_ALLOWED_WORKSPACES: optionalString,
    /** User-assigned identity resource ids an endpoint may use (same format); empty allows none. */
    FLOWDEPLOY_ALLOWED_IDENTITIES: optionalString,
    /** Resources (ids) a request's endpoint.extraRoles may be granted on; empty allows none. */
    FLOWDEPLOY_EXTRA_ROLE_SCOPES: optionalString,
    /**
     * Who may approve or reject a deployment waiting for approval: principal names or ids as App
     * Service authentication reports them (compared ignoring case). Empty: any caller holding the
     * function key may.
     */
    FLOWDEPLOY_APPROVERS: optionalString,
    /** Quality gates for BulkTestPassed events, JSON: metric → minimum, or {min?, max?}. Unset: such events are refused. */
    FLOWDEPLOY_GATES: optionalString.transform((v, ctx) => (v === undefined ? undefined : parseGates(v, ctx))),
    /** Event Grid topics / CloudEvents sources (resource ids) BulkTestPassed events may come from. */
    FLOWDEPLOY_ALLOWED_EVENT_SOURCES: optionalString,
    /** "true": flowdeploy may change endpoints and deployments it did not create (untagged). Default false. */
    FLOWDEPLOY_ADOPT_ENDPOINTS: optionalString.pipe(z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional()),
    /** Inference host suffixes a scoring URI must be on (another cloud's, e.g. inference.ml.azure.us); default inference.ml.azure.com. */
    FLOWDEPLOY_SCORING_HOST_SUFFIXES: optionalString,
    /** Most instances one deployment may ask for (default 10). */
    FLOWDEPLOY_MAX_INSTANCES: positiveInt(),
    /** VM SKUs a deployment may use (comma-separated, compared ignoring case); empty allows any. */
    FLOWDEPLOY_ALLOWED_INSTANCE_TYPES: optionalString,
    /** A request that waited longer than this (minutes) for its endpoint's lock ends EndpointBusy (default 240). */
    FLOWDEPLOY_LOCK_WAIT_MINUTES: positiveInt(),
    /** Events older than this (minutes) are refused at intake; default 1440. */
    FLOWDEPLOY_EVENT_MAX_AGE_MINUTES: positiveInt(),
    /** The prompt flow serving image, pinned by digest: `mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:<digest>`. */
    FLOWDEPLOY_SERVING_IMAGE: optionalString.pipe(z.string().regex(IMAGE_REFERENCE, "must be an image reference such as mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:<64 hex>").optional()),
    /** The ARM endpoint; only changed to point at the local simulator. */
    FLOWDEPLOY_ARM_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https$/, error: "must be an https:// URL" }).optional()),
    /** A PEM file with the CA to trust for FLOWDEPLOY_ARM_ENDPOINT (the simulator's self-signed certificate). */
    FLOWDEPLOY_ARM_CA_FILE: optionalString,
    AZURE_CLIENT_ID: optionalString,
    /**
     * Set by the platform, never by an operator: "True" when App Service authentication is enabled,
     * so the x-ms-client-principal-* headers a function sees were set by it (and any a caller sent
     * were removed). The Functions host trusts them only then (azure-functions-host
     * AuthenticationLevelHandler: `environment.IsEasyAuthEnabled()`), and so does flowdeploy.
     */
    WEBSITE_AUTH_ENABLED: optionalString,
  })
  .transform((env) => ({
    deployQueueName: env.DEPLOY_QUEUE_NAME,
    notificationTopicName: env.NOTIFICATION_TOPIC_NAME,
    serviceBus: env.ServiceBusConnection
      ? ({ kind: "connectionString", connectionString: env.ServiceBusConnection } as const)
      : env.ServiceBusConnection__fullyQualifiedNamespace
        ? ({ kind: "namespace", fullyQualifiedNamespace: env.ServiceBusConnection__fullyQualifiedNamespace, clientId: env.ServiceBusConnection__clientId } as const)
        : undefined,
    allowedWorkspaces: idList(env.FLOWDEPLOY_ALLOWED_WORKSPACES),
    allowedIdentities: idList(env.FLOWDEPLOY_ALLOWED_IDENTITIES),
    extraRoleScopes: idList(env.FLOWDEPLOY_EXTRA_ROLE_SCOPES),
    // Principal names (UPNs, e-mail addresses) and object ids compare ignoring case, as Entra ID does.
    approvers: list(env.FLOWDEPLOY_APPROVERS).map((name) => name.toLowerCase()),
    gates: env.FLOWDEPLOY_GATES,
    allowedEventSources: idList(env.FLOWDEPLOY_ALLOWED_EVENT_SOURCES),
    eventMaxAgeMinutes: env.FLOWDEPLOY_EVENT_MAX_AGE_MINUTES,
    adoptEndpoints: env.FLOWDEPLOY_ADOPT_ENDPOINTS === "true",
    maxInstances: env.FLOWDEPLOY_MAX_INSTANCES,
    scoringHostSuffixes: list(env.FLOWDEPLOY_SCORING_HOST_SUFFIXES),
    allowedInstanceTypes: list(env.FLOWDEPLOY_ALLOWED_INSTANCE_TYPES),
    lockWaitMinutes: env.FLOWDEPLOY_LOCK_WAIT_MINUTES,
    servingImage: env.FLOWDEPLOY_SERVING_IMAGE,
    arm: { endpoint: env.FLOWDEPLOY_ARM_ENDPOINT, caFile: env.FLOWDEPLOY_ARM_CA_FILE },
    managedIdentityClientId: env.AZURE_CLIENT_ID,
    appServiceAuthentication: env.WEBSITE_AUTH_ENABLED?.toLowerCase() === "true",
  }));

export type AppConfig = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses settings from `env`; throws a ConfigError naming every bad setting. */
export function parseConfig(env: Record<string, string | undefined>): AppConfig {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const lines = formatIssues(result.error.issues);
    throw new ConfigError(`invalid app settings:\n  ${lines.join("\n  ")}`);
  }
  return result.data;
}

let cached: AppConfig | undefined;

/** The process's settings, parsed on first use and then kept. */
export function loadConfig(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}
