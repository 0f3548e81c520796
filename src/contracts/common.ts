import { z } from "zod";

/** Every message carries the version of its contract; "1" is the only one so far. */
export const SCHEMA_VERSION = "1" as const;
export const SchemaVersion = z.literal(SCHEMA_VERSION, {
  error: (issue) => {
    if (issue.input === undefined) return "required";
    // JSON writers that turn "1" into 1 are common: say what to write instead.
    if (typeof issue.input === "number") return `expected the string "1", not the number ${issue.input}: write "schemaVersion": "1"`;
    if (typeof issue.input !== "string") return `expected the string "1", received ${describe(issue.input)}`;
    return `unsupported schema version ${quoted(issue.input)}; this service reads "1"`;
  },
});

/**
 * Online endpoint and deployment names, as azure-ai-ml validates them before calling Azure
 * (`validate_endpoint_or_deployment_name`): 3-32 characters, a letter first, then letters, digits or
 * hyphens, ending with a letter or digit. Checking here rejects a bad name in milliseconds instead of
 * after a ten-minute provisioning attempt.
 */
export const AZURE_ML_ENDPOINT_NAME = /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
export const endpointOrDeploymentName = (what: "endpoint" | "deployment") =>
  z
    .string({ error: requiredOr("a string") })
    .min(3, `${what} names have 3 to 32 characters`)
    .max(32, `${what} names have 3 to 32 characters`)
    .regex(
      AZURE_ML_ENDPOINT_NAME,
      `${what} names start with a letter, hold only letters, digits and hyphens, and end with a letter or digit`,
    );

/** Azure ML asset names (models): a letter or digit first, then letters, digits, '-', '_' or '.'; at most 255. */
export const assetName = z
  .string({ error: requiredOr("a string") })
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,254}$/, "asset names start with a letter or digit and hold only letters, digits, '-', '_' and '.' (at most 255)");

/** Asset versions are strings in Azure ML ("3"); a bare number is accepted and kept as its string. */
export const assetVersion = z
  .union([z.string(), z.number().int().nonnegative()], { error: requiredOr("a version string such as \"3\"") })
  .transform((v) => String(v))
  .pipe(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,29}$/, "versions hold only letters, digits, '-', '_' and '.' (at most 30)"));

export const guid = z
  .string({ error: requiredOr("a GUID") })
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "expected a GUID");

/** An ISO-8601 UTC timestamp (what Durable Functions and Azure put on the wire). */
export const isoTimestamp = z.iso.datetime({ offset: true, error: requiredOr("an ISO-8601 timestamp") });

/**
 * The Azure ML workspace a request targets. Rules from Azure's resource naming limits:
 * resource groups 1-90 of letters, digits, '_', '-', '.', '(' and ')', not ending in '.';
 * workspaces 3-33 of letters, digits, '_' and '-', starting with a letter or digit.
 */
export const WorkspaceRef = z.strictObject({
  subscriptionId: guid,
  resourceGroup: z
    .string({ error: requiredOr("a string") })
    .regex(/^[-\w.()]{0,89}[-\w()]$/, "resource group names have 1-90 letters, digits, '_', '-', '.', '(' or ')' and do not end with '.'"),
  name: z
    .string({ error: requiredOr("a string") })
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/, "workspace names have 3-33 letters, digits, '_' or '-', starting with a letter or digit"),
});
export type WorkspaceRef = z.infer<typeof WorkspaceRef>;

/** The ARM resource id of a workspace. */
export function workspaceResourceId(ws: WorkspaceRef): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.name}`;
}

/**
 * Error text for a value of the wrong type that tells "missing" apart from "wrong". For an enum or
 * literal given in another spelling of one of its values (case, `_`, `-` or spaces: ARM's `Key` or
 * `AMLToken` for flowdeploy's `key` and `aml_token`), it says which value to write instead.
 */
export function requiredOr(expected: string, whose = "flowdeploy's") {
  return (issue: { input?: unknown; values?: readonly unknown[] }) =>
    issue.input === undefined ? "required" : (spellingHint(issue, whose) ?? `expected ${expected}, received ${describe(issue.input)}`);
}

/**
 * `use "key" (flowdeploy's spelling) instead of "Key"` when a string input differs from one allowed
 * value only in case, `_`, `-` or spaces; undefined otherwise.
 */
export function spellingHint(issue: { input?: unknown; values?: readonly unknown[] }, whose = "flowdeploy's"): string | undefined {
  const input = issue.input;
  if (typeof input !== "string" || !issue.values) return undefined;
  const fold = (text: string) => text.toLowerCase().replace(/[-_\s]/g, "");
  const match = issue.values.find((v): v is string => typeof v === "string" && v !== input && fold(v) === fold(input));
  return match === undefined ? undefined : `use ${JSON.stringify(match)} (${whose} spelling) instead of ${quoted(input)}`;
}

/** A short input quoted for an error line (JSON string syntax, at most 40 characters). */
function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a number";
  return `${typeof value === "object" ? "an" : "a"} ${typeof value}`;
}
