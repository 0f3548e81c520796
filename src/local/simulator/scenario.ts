import { readFileSync } from "node:fs";
import { z } from "zod";
import { requiredOr } from "../../contracts/common";
import { toFieldIssues } from "../../contracts/issues";
import { FAULT_OPERATION_SELECTORS, PROVISIONING_OPERATIONS } from "./operationNames";

/**
 * The scenario file: the Azure state the simulator starts from (existing endpoints, deployments,
 * traffic, model versions), how long things take, and the faults it injects. Documented in
 * docs/simulator.md; JSON Schema via `scenarioJsonSchema()`.
 *
 * The JSON Schema states every rule JSON Schema can state (cross-field ones through `.meta()`:
 * `oneOf`, `dependentRequired`, `if`/`then`, `contains`/`maxContains`, `not`), so an editor and this
 * validator agree; the few it cannot (sums, references, case-insensitive uniqueness) are listed in
 * its `description` (CODE_ONLY_RULES). test/simulator/scenarioSchema.test.ts holds both to that.
 */

/** Rules only the validator checks: JSON Schema has no keyword for them. */
export const CODE_ONLY_RULES = [
  "the traffic of an endpoint's deployments sums to 0 or 100",
  "a deployment's model ('name:version') is listed in models",
  "endpoint names are unique, ignoring case",
  "an endpoint's deployment names are unique, ignoring case",
] as const;

const seconds = z.number().nonnegative();
const wholeSeconds = z.number().int().nonnegative();

/** Azure: endpoint names are 3–32 characters, start with a letter, letters/digits/hyphens. */
export const ENDPOINT_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
const endpointName = z.string().regex(ENDPOINT_NAME_PATTERN, "must be 3-32 letters, digits or hyphens, starting with a letter");
const resourceName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/, "must be letters, digits, '-', '_' or '.'");

export const LatencySchema = z
  .object({
    /** Online endpoint create (PUT 201 → Succeeded). Azure: ~15 s recorded, often 1–2 min. */
    endpointSeconds: seconds.optional(),
    /** Online deployment create. Azure: ~7.5 min recorded, often 10+ min. */
    deploymentSeconds: seconds.optional(),
    /** Deployment update (PUT on an existing deployment). Defaults to deploymentSeconds. */
    deploymentUpdateSeconds: seconds.optional(),
    /** Role assignment → effective. Azure docs: "might take more than 15 minutes". */
    propagationSeconds: seconds.optional(),
    /** Endpoint update (PUT of an existing endpoint, e.g. traffic; PATCH). */
    trafficUpdateSeconds: seconds.optional(),
    endpointDeleteSeconds: seconds.optional(),
    deploymentDeleteSeconds: seconds.optional(),
    /** How long a new managed identity answers PrincipalNotFound to assignments without principalType. */
    principalReplicationSeconds: seconds.optional(),
  })
  .strict();

export const PollingSchema = z
  .object({
    /** Retry-After on 202 answers (DELETE, PATCH, Location polls). Swagger: integer seconds, min 10. */
    locationRetryAfterSeconds: wholeSeconds.optional(),
    /** Retry-After on Azure-AsyncOperation status answers; null = omitted, as in the recording. */
    statusRetryAfterSeconds: wholeSeconds.nullable().optional(),
  })
  .strict();

const operationSelector = z.enum(FAULT_OPERATION_SELECTORS, {
  error: (issue) =>
    `unknown operation '${String(issue.input)}'; use '*', 'score', '<group>.*' or one of ${FAULT_OPERATION_SELECTORS.filter((s) => s !== "*" && !s.endsWith(".*")).join(", ")}`,
});

export const FaultSchema = z
  .object({
    /** SDK operation group + method (`onlineEndpoints.createOrUpdate`), `group.*`, `*` (any ARM call) or `score`. */
    op: operationSelector,
    /** HTTP status to answer with instead of the real response. */
    status: z.number().int().min(400).max(599).optional(),
    /** `error.code` of the answer (default per status, e.g. 429 → SubscriptionRequestsThrottled). */
    code: z.string().min(1).optional(),
    message: z.string().min(1).optional(),
    /** Sent as the Retry-After header (seconds). */
    retryAfterSeconds: wholeSeconds.optional(),
    /** How many matching requests it affects; -1 = forever. */
    times: z.union([z.literal(-1), z.number().int().min(1, "must be -1 (forever) or at least 1")], { error: requiredOr("-1 (forever) or a whole number of at least 1") }).default(1),
    /** Only requests for this endpoint / deployment (case-insensitive). */
    endpoint: z.string().min(1).optional(),
    deployment: z.string().min(1).optional(),
    /** Destroy the connection without answering (the client sees ECONNRESET). */
    reset: z.literal(true).optional(),
    /** The create succeeds (201) but its long-running operation ends Failed with this code. */
    provisioningError: z.string().min(1).optional(),
    /** Armed only once this many simulated seconds have passed since the simulator first started. */
    afterSeconds: seconds.optional(),
  })
  .strict()
  .superRefine((fault, ctx) => {
    const kinds = [fault.status !== undefined, fault.reset === true, fault.provisioningError !== undefined].filter(Boolean).length;
    if (kinds !== 1) {
      ctx.addIssue({ code: "custom", message: "set exactly one of status, reset or provisioningError", path: [] });
    }
    if (fault.provisioningError !== undefined && !(PROVISIONING_OPERATIONS as readonly string[]).includes(fault.op)) {
      ctx.addIssue({
        code: "custom",
        message: `provisioningError applies only to ${PROVISIONING_OPERATIONS.join(" or ")}`,
        path: ["op"],
      });
    }
    if (fault.code !== undefined && fault.status === undefined) {
      ctx.addIssue({ code: "custom", message: "code needs a status", path: ["code"] });
    }
    if (fault.retryAfterSeconds !== undefined && fault.status === undefined) {
      ctx.addIssue({ code: "custom", message: "retryAfterSeconds needs a status", path: ["retryAfterSeconds"] });
    }
  })
  // The same rules for the JSON Schema.
  .meta({
    oneOf: [{ required: ["status"] }, { required: ["reset"] }, { required: ["provisioningError"] }],
    dependentRequired: { code: ["status"], retryAfterSeconds: ["status"] },
    if: { required: ["provisioningError"] },
    then: { properties: { op: { enum: [...PROVISIONING_OPERATIONS] } } },
  });

export type Fault = z.output<typeof FaultSchema>;
export type FaultInput = z.input<typeof FaultSchema>;

const flowKind = z.enum(["standard", "chat"], { error: requiredOr('"standard" or "chat"') });

/** A folder in a workspace datastore: `azureml://datastores/<ds>/paths/<p>` or the long workspace-scoped form. */
const datastoreFolder = z
  .string()
  .regex(/^azureml:\/\/(subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/[^/]+\/paths\/.+$/i, "must be an azureml:// datastore folder URI");

/** What a seeded deployment runs (docs/simulator.md, "Seeding"). */
const seedRuntime = z.enum(["promptflow", "agent", "custom"], { error: requiredOr('"promptflow", "agent" or "custom"') });

const SeedDeploymentSchema = z
  .object({
    name: endpointName,
    /** Percent of the endpoint's traffic (all deployments of an endpoint sum to 0 or 100). */
    traffic: z.number().int().min(0).max(100).default(0),
    /** Percent of the endpoint's traffic mirrored to it (one deployment, at most 50, not one with live traffic). */
    mirrorTraffic: z.number().int().min(0).max(50).default(0),
    /** `name:version` of a model in `models` (default: a model made for this deployment; none for an agent). */
    model: z.string().regex(/^[^:]+:[^:]+$/, "must be 'name:version'").optional(),
    flow: flowKind.optional(),
    /**
     * "promptflow" (default; "agent" when `agent` is given): the prompt flow runtime image and
     * PROMPTFLOW_RUN_MODE=serving; "agent": a code configuration (needs `agent`); "custom": a model
     * served by another image (needs `image`).
     */
    runtime: seedRuntime.optional(),
    /** The image of the environment version seeded for it (default per runtime). */
    image: z.string().min(1).optional(),
    /** An Agent Framework workflow: its code folder (a code version is seeded for it) and scoring script. */
    agent: z
      .object({
        code: datastoreFolder,
        scoringScript: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*\.py$/, "must be a Python file in the code folder, e.g. score.py").default("score.py"),
      })
      .strict()
      .optional(),
    /** Environment variables beside the runtime's own (PROMPTFLOW_RUN_MODE, AZURE_CLIENT_ID). */
    environmentVariables: z.record(z.string().min(1), z.string()).optional(),
    instanceType: z.string().min(1).default("Standard_DS3_v2"),
    instanceCount: z.number().int().min(1).default(1),
    /** Created by flowdeploy (tag `flowdeploy.managed=true`; default), or by someone else (no tag). */
    managed: z.boolean().default(true),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.agent && (d.model !== undefined || d.flow !== undefined)) {
      ctx.addIssue({ code: "custom", message: "an agent deployment has a code configuration, not a model or flow", path: ["agent"] });
    }
    if (d.agent && d.runtime !== undefined && d.runtime !== "agent") ctx.addIssue({ code: "custom", message: 'a deployment with agent has runtime "agent"', path: ["runtime"] });
    if (d.runtime === "agent" && !d.agent) ctx.addIssue({ code: "custom", message: 'runtime "agent" needs agent: {code, scoringScript}', path: ["agent"] });
    if (d.runtime === "custom" && d.image === undefined) ctx.addIssue({ code: "custom", message: 'runtime "custom" needs the image it runs', path: ["image"] });
  })
  // The same rules for the JSON Schema, and "a deployment gets live traffic or mirrored traffic, not
  // both" (checked on the endpoint below).
  .meta({
    allOf: [
      { not: { required: ["traffic", "mirrorTraffic"], properties: { traffic: { type: "integer", exclusiveMinimum: 0 }, mirrorTraffic: { type: "integer", exclusiveMinimum: 0 } } } },
      { if: { required: ["agent"] }, then: { not: { anyOf: [{ required: ["model"] }, { required: ["flow"] }] }, properties: { runtime: { const: "agent" } } } },
      { if: { required: ["runtime"], properties: { runtime: { const: "agent" } } }, then: { required: ["agent"] } },
      { if: { required: ["runtime"], properties: { runtime: { const: "custom" } } }, then: { required: ["image"] } },
    ],
  });

const SeedEndpointSchema = z
  .object({
    endpoint: endpointName,
    /** ARM's spelling (the scenario seeds ARM resources), unlike a deploy request's "key" / "aml_token". */
    authMode: z.enum(["Key", "AMLToken", "AADToken"], { error: requiredOr('"Key", "AMLToken" or "AADToken"', "ARM's") }).default("Key"),
    /** `SystemAssigned` (default) or the ARM id of a user-assigned identity. */
    identity: z
      .union([z.literal("SystemAssigned"), z.object({ userAssigned: z.string().min(1) }).strict()])
      .default("SystemAssigned"),
    /** "Disabled": reachable only through the workspace's private endpoint (kept across PUTs that carry it). */
    publicNetworkAccess: z.enum(["Enabled", "Disabled"], { error: requiredOr('"Enabled" or "Disabled"', "ARM's") }).default("Enabled"),
    /** Give the identity an old (already effective) Connection Secrets Reader assignment. */
    grantConnectionSecretsReader: z.boolean().default(true),
    /**
     * Give the identity old (already effective) assignments on what its agent deployments call, as the
     * scenario's `agents` describe it: Cognitive Services User on the AI Services account, Key Vault
     * Secrets User on the vault.
     */
    grantAgentRoles: z.boolean().default(true),
    /** Created by flowdeploy (tag `flowdeploy.managed=true`; default), or by someone else (no tag). */
    managed: z.boolean().default(true),
    deployments: z
      .array(SeedDeploymentSchema)
      // "traffic can be mirrored to one deployment only" (checked below).
      .meta({ contains: { type: "object", required: ["mirrorTraffic"], properties: { mirrorTraffic: { type: "integer", exclusiveMinimum: 0 } } }, minContains: 0, maxContains: 1 })
      .default([]),
  })
  .strict()
  .superRefine((ep, ctx) => {
    const total = ep.deployments.reduce((sum, d) => sum + d.traffic, 0);
    if (total !== 0 && total !== 100) {
      ctx.addIssue({ code: "custom", message: `traffic of the deployments sums to ${total}; Azure requires 0 or 100`, path: ["deployments"] });
    }
    const mirrored = ep.deployments.filter((d) => d.mirrorTraffic > 0);
    if (mirrored.length > 1) ctx.addIssue({ code: "custom", message: "traffic can be mirrored to one deployment only", path: ["deployments"] });
    if (mirrored.some((d) => d.traffic > 0)) ctx.addIssue({ code: "custom", message: "a deployment gets live traffic or mirrored traffic, not both", path: ["deployments"] });
    const names = ep.deployments.map((d) => d.name.toLowerCase());
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: "custom", message: "deployment names must be unique", path: ["deployments"] });
    }
  });

const SeedModelSchema = z
  .object({
    name: resourceName,
    version: z.union([z.string().regex(/^[a-zA-Z0-9_.-]+$/), z.number().int().nonnegative()]).transform(String),
    /** `chat` sets azureml.promptflow.mode=chat (the flow answers `{question, chat_history}`). */
    flow: flowKind.optional(),
    description: z.string().optional(),
    properties: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    /** Region of seeded endpoints (new ones use the PUT body's location). */
    location: z.string().min(1).default("eastus"),
    tenantId: z.guid().optional(),
    /** Where `existing` and `models` are seeded. */
    workspace: z
      .object({ subscriptionId: z.string().min(1), resourceGroup: z.string().min(1), name: z.string().min(1) })
      .strict()
      .optional(),
    latency: LatencySchema.optional(),
    polling: PollingSchema.optional(),
    existing: z.array(SeedEndpointSchema).default([]),
    models: z.array(SeedModelSchema).default([]),
    /**
     * Flow folders in the workspace's datastores and the packages their requirements.txt declares. A
     * deployment of a model registered from such a folder fails (ResourceNotReady, import error in
     * the log) unless its environment carries every package (docs/simulator.md, "Flows with packages").
     */
    flows: z
      .array(
        z
          .object({
            path: datastoreFolder,
            requirements: z.array(z.string().min(1)).default([]),
            /** Names of `connections` the flow calls on every run. */
            connections: z.array(z.string().min(1)).default([]),
          })
          .strict(),
      )
      .default([]),
    /**
     * Agent Framework code folders (docs/simulator.md, "Agents"): what an agent deployed from the folder
     * (code version `codeUri`) calls with the endpoint identity, and what it answers. A folder not
     * described here answers as the standard contract and calls nothing.
     */
    agents: z
      .array(
        z
          .object({
            code: datastoreFolder,
            /** The Azure AI Services / Azure OpenAI account it calls (Cognitive Services User, Cognitive Services OpenAI User or Azure AI User needed). */
            aiServices: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.CognitiveServices\/accounts\/[^/]+$/i, "must be the ARM id of a Microsoft.CognitiveServices/accounts resource"),
            /** The Key Vault it reads a secret from (Key Vault Secrets User needed). */
            keyVault: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i, "must be the ARM id of a Microsoft.KeyVault/vaults resource").optional(),
            /** "standard": `{url}` → `{category, evidence}` like the web-classification flow; "chat": `{question, chat_history}` → `{answer}`. */
            contract: flowKind.default("standard"),
            /** Answers instead of the contract's for matching inputs (first match wins): every `when` field's value contains the string, ignoring case. */
            answers: z
              .array(z.object({ when: z.record(z.string().min(1), z.string()), output: z.record(z.string(), z.unknown()) }).strict())
              .default([]),
          })
          .strict(),
      )
      .default([]),
    /**
     * Files in the workspace's blob datastores (docs/simulator.md, "Datastore files"): served by the
     * simulator's Blob storage (path-style, `/<account>/<container>/<path>`) on the datastore's storage
     * account, e.g. a migration's `parity.inputsFile`.
     */
    datastoreFiles: z
      .array(
        z
          .object({
            /** `azureml://datastores/<store>/paths/<path>` (or the long workspace form) in workspaceblobstore or workspaceartifactstore. */
            uri: z
              .string()
              .regex(
                /^azureml:\/\/(subscriptions\/[^/]+\/resourcegroups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/(workspaceblobstore|workspaceartifactstore)\/paths\/[^?#]*[^/?#]$/i,
                "must be an azureml:// file URI in a blob datastore: azureml://datastores/workspaceblobstore/paths/<path> (or workspaceartifactstore)",
              ),
            /** The file's text (UTF-8), at most 1 MB. */
            content: z.string().max(1024 * 1024, "at most 1 MB of text"),
            contentType: z.string().min(1).default("application/octet-stream"),
          })
          .strict(),
      )
      .default([]),
    /**
     * Workspace connections that use Microsoft Entra ID: the flow calls `target` with the endpoint
     * identity's token, which works only while that identity holds `role` on it (GUID or role name).
     */
    connections: z
      .array(
        z
          .object({
            name: z.string().min(1),
            target: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+$/i, "must be an ARM resource id"),
            role: z.string().min(1),
          })
          .strict(),
      )
      .default([]),
    /**
     * Environment versions that exist in the workspace: images built FROM the prompt flow runtime image
     * with extra packages (routes /health and /score on 8080 unless given).
     */
    environments: z
      .array(
        z
          .object({
            name: resourceName,
            version: z.union([z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,29}$/), z.number().int().nonnegative()]).transform(String),
            image: z.string().min(1).default("contoso.azurecr.io/flows/web-classification:1"),
            packages: z.array(z.string().min(1)).default([]),
            /** false: an environment without an inference config (not a prompt flow serving image). */
            inferenceRoutes: z.boolean().default(true),
          })
          .strict(),
      )
      .default([]),
    /**
     * Foundry hub-based projects: workspaces (in the scenario workspace's subscription) whose registry
     * and storage are their hub's. The scenario `workspace` may be one of them.
     */
    projects: z
      .array(
        z
          .object({
            resourceGroup: z.string().min(1).optional(),
            name: z.string().min(1),
            hub: z.object({ resourceGroup: z.string().min(1).optional(), name: z.string().min(1) }).strict(),
          })
          .strict(),
      )
      .default([]),
    /** User-assigned identities that exist already (principalId/clientId are made up when omitted). */
    userAssignedIdentities: z
      .array(z.object({ id: z.string().min(1), principalId: z.guid().optional(), clientId: z.guid().optional() }).strict())
      .default([]),
    /**
     * User-assigned identities the caller (the Function App) may attach: it needs
     * `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action` (Managed Identity Operator) on
     * each. "*" (default): on all; a list: only those ids; an endpoint PUT naming another answers 403
     * LinkedAuthorizationFailed, as ARM does.
     */
    callerAssignableIdentities: z.union([z.literal("*"), z.array(z.string().min(1))]).default("*"),
    /**
     * How a deployment's model answers scoring calls (matched by deployment name, and endpoint name when
     * given, ignoring case): the share of calls that fail as a failing flow does (424, model status
     * 500) and the latency every answer reports, which may rise with the deployment's share of the
     * traffic. Both reach the Azure Monitor metrics the simulator serves (RequestsPerMinute,
     * RequestLatency_P95); the latency is reported, never slept. Mirrored copies count as its calls.
     */
    scoringBehaviour: z
      .array(
        z
          .object({
            deployment: z.string().min(1),
            endpoint: z.string().min(1).optional(),
            /** Percent of its scoring calls that fail, spread evenly (20: every fifth call, the first four succeed). */
            errorRatePercent: z.number().min(0).max(100).optional(),
            /** The latency each answer reports, in milliseconds (default 120). */
            latencyMs: z.number().nonnegative().max(600_000).optional(),
            /**
             * A deployment that slows down under load: while its share of the endpoint's traffic is above
             * `sharePercent` (its live percent of the split in force plus its mirror percent), each answer
             * reports `latencyMs` from here instead ({sharePercent: 40, latencyMs: 2500}: fine at 25%, slow at 50%).
             */
            latencyAboveShare: z
              .object({
                /** A whole percent, 0–99: the latency applies above it (a share cannot exceed 100). */
                sharePercent: z.number().int().min(0).max(99),
                latencyMs: z.number().nonnegative().max(600_000),
              })
              .strict()
              .optional(),
          })
          .strict(),
      )
      .default([]),
    /**
     * Synthetic callers: the simulator serves this many scoring calls per simulated minute to every
     * endpoint (or the one named) through its own scoring path, routed by the traffic split in force at
     * that minute, so a canary's bake has traffic on a virtual clock. Served lazily, when metrics are
     * read. Real Azure metrics come from real callers only.
     */
    load: z
      .object({
        requestsPerMinute: z.number().int().min(1).max(600),
        endpoint: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** Endpoint names taken in the region by someone else: creating one answers 409. */
    takenEndpointNames: z.array(endpointName).default([]),
    faults: z.array(FaultSchema).default([]),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    const models = new Set(scenario.models.map((m) => `${m.name}:${m.version}`.toLowerCase()));
    scenario.existing.forEach((ep, i) => {
      ep.deployments.forEach((d, j) => {
        if (d.model !== undefined && !models.has(d.model.toLowerCase())) {
          ctx.addIssue({ code: "custom", message: `model '${d.model}' is not listed in models`, path: ["existing", i, "deployments", j, "model"] });
        }
      });
    });
    const names = scenario.existing.map((e) => e.endpoint.toLowerCase());
    if (new Set(names).size !== names.length) ctx.addIssue({ code: "custom", message: "endpoint names must be unique", path: ["existing"] });
  })
  .meta({
    title: "flowdeploy simulator scenario",
    description: `The Azure state the local simulator starts from, its latencies and the faults it injects (docs/simulator.md). Also checked by the simulator, beyond this schema: ${CODE_ONLY_RULES.join("; ")}.`,
  });

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Issues as `path: message` lines, e.g. `faults[1].op: unknown operation 'x'` (zod's own wording made plain, as for the message contracts). */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return toFieldIssues(issues).map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
      .join("");
    return `${path || "(scenario)"}: ${issue.message}`;
  });
}

export function parseScenario(input: unknown): ParseResult<Scenario> {
  const result = ScenarioSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: formatIssues(result.error.issues) };
}

export function parseFault(input: unknown): ParseResult<Fault> {
  const result = FaultSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: formatIssues(result.error.issues) };
}

/** Reads and validates a scenario file; errors name the file and the field. */
export function loadScenarioFile(file: string): ParseResult<Scenario> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    return { ok: false, errors: [`${file}: cannot read: ${(err as Error).message}`] };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`${file}: not valid JSON: ${(err as Error).message}`] };
  }
  const parsed = parseScenario(data);
  return parsed.ok ? parsed : { ok: false, errors: parsed.errors.map((e) => `${file}: ${e}`) };
}

/** JSON Schema (draft 2020-12) of the scenario file, for editors and `schemas/`. */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScenarioSchema, { io: "input" }) as Record<string, unknown>;
}
