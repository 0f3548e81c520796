import { z } from "zod";
import { WEEKDAYS } from "../domain/changeWindow";
import { IMAGE_REFERENCE } from "../domain/promptFlowRuntime";
import { MANAGED_MAX_REQUEST_TIMEOUT_SECONDS, PROMPT_FLOW_MAX_REQUEST_TIMEOUT_SECONDS } from "../domain/requestSettings";
import { EXTRA_ROLE_NAMES, EXTRA_ROLES } from "../domain/roles";
import { TARGET_KINDS, TARGET_PROPAGATION } from "../domain/targets";
import { assetName, assetVersion, endpointOrDeploymentName, guid, requiredOr, SchemaVersion, WorkspaceRef } from "./common";

/** Where a flow folder lives: an Azure ML datastore URI or an HTTPS (blob) URL. */
/**
 * A flow folder in a datastore of the target workspace: `azureml://datastores/<store>/paths/<path>`,
 * or the long form `azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/datastores/...`
 * (Azure ML's datastore URI formats), which must name the target workspace (checked with the
 * workspace below). Never `https://`: the model would point anywhere. Path segments are plain: no
 * `..`, `%`, `?`, `#`, whitespace or control characters.
 */
const SEGMENT = "[A-Za-z0-9_.~()+=,@!-]+";
// No `..` segment anywhere after `paths/`, the first one included (`(?:.*/)?` starts at the path).
const DATASTORE_PATH = `datastores/[A-Za-z0-9_]{1,255}/paths/(?!(?:.*/)?\\.\\.(?:/|$))${SEGMENT}(?:/${SEGMENT})*/?`;
const WORKSPACE_PREFIX = "subscriptions/([0-9a-fA-F-]{36})/resource[Gg]roups/([-\\w.()]{1,90})/workspaces/([-\\w]{1,64})/";
export const FLOW_PATH = new RegExp(`^azureml://(?:${WORKSPACE_PREFIX})?${DATASTORE_PATH}$`);
/**
 * A JSONL file of parity inputs in a datastore of the target workspace:
 * `azureml://datastores/<store>/paths/<path>.jsonl`, or the long form naming the target workspace
 * (checked with the workspace below). Segments as for a flow folder, and none `.` or `..`: the path
 * is a blob name, and Azure Storage advises against blob names with dot segments ("Naming and
 * referencing containers, blobs, and metadata": avoid names ending in `.` or `/`, or `./`, `../`).
 * Groups: 1-3 the workspace of the long form, 4 the datastore, 5 the path in it.
 */
const DATASTORE_FILE = `datastores/([A-Za-z0-9_]{1,255})/paths/((?!(?:.*/)?\\.\\.?(?:/|$))(?:${SEGMENT}/)*${SEGMENT}\\.jsonl)`;
export const PARITY_INPUTS_FILE = new RegExp(`^azureml://(?:${WORKSPACE_PREFIX})?${DATASTORE_FILE}$`);

/** The parts of a parity inputs file URI, or undefined when it is not one. */
export function parityInputsFileOf(uri: string): { workspace?: [string, string, string]; datastore: string; path: string } | undefined {
  const m = PARITY_INPUTS_FILE.exec(uri);
  if (!m) return undefined;
  return { ...(m[1] ? { workspace: [m[1], m[2]!, m[3]!] as [string, string, string] } : {}), datastore: m[4]!, path: m[5]! };
}

const flowPath = z
  .string({ error: requiredOr("a flow folder URI") })
  .regex(FLOW_PATH, "expected a flow folder URI such as azureml://datastores/workspaceblobstore/paths/flows/web-classification (or the long form naming the target workspace)");

/** A flow input or output name (prompt flow identifiers). */
const flowIdentifier = z.string({ error: requiredOr("a string") }).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a flow input/output name");

export const FlowSource = z.strictObject({
  name: assetName,
  path: flowPath,
  mode: z.enum(["standard", "chat"], { error: requiredOr('"standard" or "chat"') }),
  /** The chat flow's chat input and output names (azureml.promptflow.chat_input / chat_output). */
  chatInput: flowIdentifier.optional(),
  chatOutput: flowIdentifier.optional(),
});
export type FlowSource = z.infer<typeof FlowSource>;

export const ModelRef = z.strictObject({ name: assetName, version: assetVersion });
export type ModelRef = z.infer<typeof ModelRef>;

/** An ARM resource id: subscription GUID, resource group, provider type and name, nothing more (no `..`, `%`, `?`, `#`). */
const RESOURCE_ID = /^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/resourceGroups\/[-\w.()]{0,89}[-\w()]\/providers\/([A-Za-z]+\.[A-Za-z]+\/[A-Za-z]+)\/[A-Za-z0-9][-\w]{0,127}$/i;

/** The ARM id of one resource of `type` (compared ignoring case). */
function resourceIdOf(type: string, what: string) {
  return z
    .string({ error: requiredOr(`the resource id of ${what}`) })
    .regex(RESOURCE_ID, `expected the ARM id of ${what}: /subscriptions/<GUID>/resourceGroups/<rg>/providers/${type}/<name>`)
    .refine((id) => RESOURCE_ID.exec(id)?.[1]?.toLowerCase() === type.toLowerCase(), `expected a ${type} resource id`);
}


/**
 * A user-assigned identity's ARM id, strictly: a subscription GUID; a resource group name of
 * letters, digits, `_`, `-`, `.`, `(`, `)` (1-90, not ending in `.`); an identity name of letters,
 * digits, `-`, `_` (3-128, starting with a letter or digit) — Azure's naming rules for
 * Microsoft.Resources/resourcegroups and Microsoft.ManagedIdentity/userAssignedIdentities
 * (learn.microsoft.com, "Naming rules and restrictions for Azure resources"). So no `%`, `?`, `#`,
 * `..`, control or bidi characters can reach an ARM URL.
 */
const userAssignedIdentityId = z
  .string({ error: requiredOr("a user-assigned identity resource id") })
  .regex(
    /^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/resourceGroups\/[-\w.()]{0,89}[-\w()]\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[A-Za-z0-9][-\w]{2,127}$/i,
    "expected /subscriptions/<subscription GUID>/resourceGroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>",
  );

export const EndpointIdentity = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("SystemAssigned") }),
    // principalId and clientId are read from Azure (the identity resource), never trusted from here:
    // a request may omit them, and one that names other values is refused (IdentityMismatch).
    z.strictObject({ type: z.literal("UserAssigned"), resourceId: userAssignedIdentityId, clientId: guid.optional(), principalId: guid.optional() }),
  ],
  { error: (issue) => (issue.input === undefined ? "required" : 'expected type "SystemAssigned" or "UserAssigned"') },
);
export type EndpointIdentity = z.infer<typeof EndpointIdentity>;


/** A role for the flow's Entra ID connections, on one resource of the kind the role is for (docs/pipeline.md, "Extra roles"). */
export const ExtraRole = z
  .strictObject({
    role: z.enum(EXTRA_ROLE_NAMES, { error: requiredOr(`one of ${EXTRA_ROLE_NAMES.map((n) => `"${n}"`).join(", ")}`) }),
    scope: z.string({ error: requiredOr("a resource id") }).regex(RESOURCE_ID, "expected the ARM id of one resource: /subscriptions/<GUID>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>"),
  })
  .superRefine((value, ctx) => {
    const type = RESOURCE_ID.exec(value.scope)?.[1];
    const wanted = EXTRA_ROLES[value.role]?.resourceType;
    if (type && wanted && type.toLowerCase() !== wanted.toLowerCase()) {
      ctx.addIssue({ code: "custom", path: ["scope"], message: `${value.role} is granted on ${wanted} resources, not ${type}` });
    }
  });
export type ExtraRole = z.infer<typeof ExtraRole>;

export const EndpointSpec = z.strictObject({
  name: endpointOrDeploymentName("endpoint"),
  authMode: z.enum(["key", "aml_token"], { error: requiredOr('"key" or "aml_token"') }),
  identity: EndpointIdentity,
  /** Roles the endpoint identity gets on the resources behind the flow's Entra ID connections (at most 10). */
  extraRoles: z.array(ExtraRole).max(10, "at most 10 extra roles").optional(),
});
export type EndpointSpec = z.infer<typeof EndpointSpec>;

/** Set by the pipeline on every deployment (prompt flow serving); a request may not override them. */
export const RESERVED_ENVIRONMENT_VARIABLES = ["PROMPTFLOW_RUN_MODE", "PRT_CONFIG_OVERRIDE", "AZURE_CLIENT_ID"] as const;

/**
 * Names a request may not set in the container (compared ignoring case): they change what code loads
 * (loader and interpreter: LD_*, DYLD_*, PYTHON*, NODE_OPTIONS, PERL5LIB, RUBYOPT), where traffic and
 * trust go (proxies *_PROXY, CA bundles), which identity answers (IDENTITY_*, MSI_*, IMDS_*), or how
 * the Azure ML platform runs it (AZURE_*, AZUREML_*, AML_*, PRT_*, PATH, HOME). docs/security.md, row X1.
 */
export const FORBIDDEN_ENVIRONMENT_VARIABLE = /^(LD_|DYLD_|PYTHON|NODE_OPTIONS$|PERL5LIB$|RUBYOPT$|[A-Z]*_?PROXY$|IDENTITY_|MSI_|IMDS_|AZURE_|AZUREML_|AML_|PRT_|PATH$|HOME$|SSL_CERT_|REQUESTS_CA_BUNDLE$|CURL_CA_BUNDLE$)/i;

const environmentVariables = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "environment variable names hold letters, digits and '_' and do not start with a digit"),
    z.string({ error: requiredOr("a string value") }).max(4096, "environment variable values have at most 4096 characters"),
  )
  .superRefine((vars, ctx) => {
    for (const name of Object.keys(vars)) {
      if ((RESERVED_ENVIRONMENT_VARIABLES as readonly string[]).includes(name.toUpperCase())) ctx.addIssue({ code: "custom", path: [name], message: `${name} is set by flowdeploy and cannot be overridden` });
      else if (FORBIDDEN_ENVIRONMENT_VARIABLE.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `${name} is refused: loader, interpreter, proxy, identity and platform variables cannot be set by a request` });
    }
  });

/**
 * An environment version of the target workspace, for flows with their own packages: `azureml:<name>:<version>`
 * or its ARM id (`/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<ws>/environments/<name>/versions/<v>`,
 * which must name the target workspace). docs/pipeline.md, "Flows with their own packages".
 */
const ENVIRONMENT_NAME = "[a-zA-Z0-9][a-zA-Z0-9\\-_.]{0,254}";
const ENVIRONMENT_VERSION = "[a-zA-Z0-9][a-zA-Z0-9\\-_.]{0,29}";
export const ENVIRONMENT_REF = new RegExp(
  `^(?:azureml:(${ENVIRONMENT_NAME}):(${ENVIRONMENT_VERSION})|/subscriptions/([0-9a-fA-F-]{36})/resource[Gg]roups/([-\\w.()]{1,90})/providers/Microsoft\\.MachineLearningServices/workspaces/([-\\w]{1,64})/environments/(${ENVIRONMENT_NAME})/versions/(${ENVIRONMENT_VERSION}))$`,
  "i",
);
/** The name and version an environment reference names (either form), or undefined when it is not one. */
export function environmentNameAndVersion(ref: string): { name: string; version: string } | undefined {
  const m = ENVIRONMENT_REF.exec(ref);
  const name = m?.[1] ?? m?.[6];
  const version = m?.[2] ?? m?.[7];
  return name && version ? { name, version } : undefined;
}

const environmentRef = z
  .string({ error: requiredOr("an environment version such as azureml:my-flow-env:3") })
  .regex(ENVIRONMENT_REF, "expected azureml:<name>:<version> or the ARM id of an environment version in the target workspace");

/** A Python file inside the code folder, relative to it (`score.py`, `src/score.py`): no `..`, no absolute path. */
const scoringScript = z
  .string({ error: requiredOr("a Python file in the code folder, e.g. score.py") })
  .regex(/^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\.py$/, "expected a Python file relative to the code folder, e.g. score.py (no '..', no leading '/')");

/**
 * The environment an agent runs on: an environment version of the target workspace, or an image and
 * a conda file that flowdeploy registers as one (version = digest of the content: environment versions
 * are immutable). The scoring script is served by the Azure ML inference server (azureml-inference-server-http),
 * which the image or the conda file must carry (docs/agents.md).
 */
export const AgentEnvironment = z.union(
  [
    environmentRef,
    z.strictObject({
      image: z.string({ error: requiredOr("a container image such as mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest") }).regex(IMAGE_REFERENCE, "expected a container image reference registry/repository[:tag][@sha256:digest]"),
      /** The conda specification (YAML text), e.g. python, pip, agent-framework and azureml-inference-server-http. */
      condaFile: z.string({ error: requiredOr("the conda file's YAML text") }).min(1, "required").max(16_384, "at most 16384 characters"),
    }),
  ],
  { error: () => "expected azureml:<name>:<version>, an environment version id, or {image, condaFile}" },
);
export type AgentEnvironment = z.infer<typeof AgentEnvironment>;

/**
 * A Microsoft Agent Framework workflow deployed as code: the folder (a datastore of the target workspace,
 * as for flows) holding the workflow and an init()/run() scoring script, registered as a code asset and
 * deployed with a code configuration. `aiServices` and `keyVault` name the resources the workflow calls
 * with the endpoint identity: each gets that target's role (src/domain/targets.ts), and each must be
 * listed in FLOWDEPLOY_EXTRA_ROLE_SCOPES.
 */
export const AgentSource = z.strictObject({
  /** The code asset's name. */
  name: assetName,
  code: z
    .string({ error: requiredOr("a code folder URI") })
    .regex(FLOW_PATH, "expected a code folder URI such as azureml://datastores/workspaceblobstore/paths/agents/web-classification (or the long form naming the target workspace)"),
  scoringScript,
  environment: AgentEnvironment,
  aiServices: resourceIdOf("Microsoft.CognitiveServices/accounts", "the Azure AI Services / Azure OpenAI account the agent calls"),
  keyVault: resourceIdOf("Microsoft.KeyVault/vaults", "the Key Vault the agent reads secrets from").optional(),
});
export type AgentSource = z.infer<typeof AgentSource>;

/** `deployment.name` that asks flowdeploy to pick the blue/green slot (as does leaving the name out). */
export const AUTO_DEPLOYMENT_NAME = "auto";

/** The deployment name the request asks for, or undefined when flowdeploy is to choose the slot. */
export function requestedDeploymentName(deployment: { name?: string | undefined }): string | undefined {
  return deployment.name && deployment.name !== AUTO_DEPLOYMENT_NAME ? deployment.name : undefined;
}

export const DeploymentSpec = z.strictObject({
  /** Absent or "auto": the blue/green slot without traffic (docs/pipeline.md, "Deployment names"). */
  name: endpointOrDeploymentName("deployment").optional(),
  /** An Azure ML managed online SKU, e.g. Standard_DS3_v2. */
  instanceType: z.string({ error: requiredOr("an instance type such as Standard_DS3_v2") }).regex(/^[A-Za-z][A-Za-z0-9_]{2,63}$/, "expected an instance type such as Standard_DS3_v2"),
  instanceCount: z
    .number({ error: requiredOr("a positive integer") })
    .int("expected a positive integer")
    .min(1, "expected a positive integer")
    .max(100, "at most 100 instances per deployment"),
  environmentVariables: environmentVariables.optional(),
  /**
   * The environment to run the flow on, built FROM the prompt flow runtime image with the flow's
   * requirements. Absent: flowdeploy's serving environment (the bare runtime image).
   */
  environment: environmentRef.optional(),
  /** How the deployment takes requests (docs/pipeline.md, "Request settings"). */
  requestSettings: z
    .strictObject({
      /** Default: PROMPTFLOW_WORKER_NUM × PROMPTFLOW_WORKER_THREADS (workers default to the instance's vCPUs). */
      maxConcurrentRequestsPerInstance: z.number({ error: requiredOr("a positive integer") }).int("expected a positive integer").min(1, "expected a positive integer").max(1000, "at most 1000").optional(),
      /** Default 90; prompt flow deployments allow up to 300 (other managed deployments 180). */
      requestTimeoutSeconds: z
        .number({ error: requiredOr("a number of seconds") })
        .int("expected whole seconds")
        .min(1, "at least 1 second")
        .max(PROMPT_FLOW_MAX_REQUEST_TIMEOUT_SECONDS, `prompt flow deployments allow at most ${PROMPT_FLOW_MAX_REQUEST_TIMEOUT_SECONDS} seconds`)
        .optional(),
    })
    .optional(),
});
export type DeploymentSpec = z.infer<typeof DeploymentSpec>;

/**
 * How deeply a smoke-test input may nest. The input travels through the orchestration's (recursive)
 * JSON serialization; a 16 KB body nested 8,000 levels deep would overflow its stack, so the start
 * would fail on every redelivery instead of being rejected.
 */
export const MAX_INPUT_DEPTH = 32;

/** Whether `value` nests objects or arrays more than `max` levels deep (iterative: no recursion to overflow). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [v, depth] = pending.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) pending.push([child, depth + 1]);
  }
  return false;
}

export const SmokeTestSpec = z.strictObject({
  /** The flow inputs scored against the new deployment, e.g. {"url": "https://..."}. */
  input: z
    .record(z.string(), z.unknown(), { error: requiredOr("an object of flow inputs") })
    .refine((input) => !nestsDeeperThan(input, MAX_INPUT_DEPTH), `nests deeper than ${MAX_INPUT_DEPTH} levels`),
  /** Output fields that must be present in the answer, e.g. ["category", "evidence"]. */
  expectFields: z.array(flowIdentifier).max(50).optional(),
});
export type SmokeTestSpec = z.infer<typeof SmokeTestSpec>;

/** The most minutes one approval or bake may take: the run holds the endpoint's lock meanwhile. */
export const MAX_APPROVAL_MINUTES = 24 * 60;
export const MAX_BAKE_MINUTES = 240;

/**
 * Health limits for a canary step's bake, read from the deployment's Azure Monitor metrics
 * (RequestsPerMinute by status code, RequestLatency_P95) once the bake is over.
 */
export const AnalysisSpec = z.strictObject({
  /** Most requests that may fail (5xx, and the 408/424/429 a failing model container causes), in percent. */
  maxErrorRatePercent: z.number({ error: requiredOr("a percentage") }).min(0).max(100),
  /** Highest 95th-percentile latency allowed, in milliseconds (omit: not judged). */
  maxP95LatencyMs: z.number({ error: requiredOr("milliseconds") }).positive().optional(),
  /** Fewer requests than this in the bake cannot judge the step: it fails as InsufficientTraffic (default 1). */
  minRequests: z.number({ error: requiredOr("a whole number") }).int().min(0).default(1),
});
export type AnalysisSpec = z.infer<typeof AnalysisSpec>;

export const CanaryStep = z.strictObject({
  /** Share of live traffic the new deployment serves during this step. */
  percent: z.number({ error: requiredOr("a percentage") }).int("whole percent").min(1).max(99),
  /** How long the step serves before its health is judged. */
  bakeMinutes: z.number({ error: requiredOr("a number of minutes") }).int("whole minutes").min(1).max(MAX_BAKE_MINUTES),
});
export type CanaryStep = z.infer<typeof CanaryStep>;

/**
 * Before any live traffic, the endpoint copies this share of its live calls to the new deployment
 * (`mirrorTraffic`): clients keep the live deployment's answers, the copies show in the new one's
 * metrics, judged with `analysis` after the bake. Azure mirrors at most 50% in all (the
 * safe-rollout how-to; OnlineEndpointProperties.mirrorTraffic: "Traffic values need to sum to
 * utmost 50"). The mirror is removed afterwards, whatever the outcome.
 */
export const MirrorSpec = z.strictObject({
  percent: z.number({ error: requiredOr("a percentage") }).int("whole percent").min(1).max(50, "Azure mirrors at most 50% of the traffic"),
  bakeMinutes: z.number({ error: requiredOr("a number of minutes") }).int("whole minutes").min(1).max(MAX_BAKE_MINUTES),
});
export type MirrorSpec = z.infer<typeof MirrorSpec>;

/**
 * A person approves before any live traffic moves. Who may approve is the app's setting
 * (FLOWDEPLOY_APPROVERS), never the request: `approvers` here only names whom the AwaitingApproval
 * notification asks.
 */
export const ApprovalSpec = z.strictObject({
  required: z.boolean({ error: requiredOr("true or false") }),
  /** Without an answer by then the run ends Failed (ApprovalTimedOut), traffic untouched. */
  timeoutMinutes: z.number({ error: requiredOr("a number of minutes") }).int("whole minutes").min(1).max(MAX_APPROVAL_MINUTES).default(60),
  approvers: z.array(z.string().min(1).max(256)).max(20).optional(),
});
export type ApprovalSpec = z.infer<typeof ApprovalSpec>;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
/** Live traffic moves only inside this window; outside it the run waits for the next opening (a durable timer). */
export const WindowSpec = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS, { error: requiredOr(WEEKDAYS.join(", ")) })).min(1, "at least one day"),
    startUtc: z.string({ error: requiredOr('"HH:MM" (UTC)') }).regex(HHMM, 'expected "HH:MM" (UTC), e.g. "08:00"'),
    endUtc: z.string({ error: requiredOr('"HH:MM" (UTC)') }).regex(HHMM, 'expected "HH:MM" (UTC), e.g. "17:00"'),
  })
  .refine((w) => w.startUtc !== w.endUtc, { path: ["endUtc"], message: "must differ from startUtc (a window past midnight ends before it starts)" });
export type WindowSpec = z.infer<typeof WindowSpec>;

/** The most parity inputs one request carries: each is scored on both deployments, in batches of PARITY_BATCH_SIZE. */
export const MAX_PARITY_INPUTS = 50;

/**
 * How the agent's answers are compared with the prompt flow's for the same input (`rollout.strategy:
 * "migrate"`). Every rule names output fields; a case passes when every rule holds for it.
 */
export const ParityRules = z
  .strictObject({
    /** Present in the agent's answer (any value). */
    requiredFields: z.array(flowIdentifier).max(50).optional(),
    /** Equal in both answers (JSON equality). */
    exactFields: z.array(flowIdentifier).max(50).optional(),
    /** Numbers in both answers, at most `absolute` apart. */
    numericTolerance: z.strictObject({ fields: z.array(flowIdentifier).min(1).max(50), absolute: z.number({ error: requiredOr("a number") }).min(0, "expected 0 or more") }).optional(),
    /** Strings in both answers whose word-set similarity (Jaccard, 0-1) is at least `threshold`. */
    similarity: z.strictObject({ fields: z.array(flowIdentifier).min(1).max(50), threshold: z.number({ error: requiredOr("a number from 0 to 1") }).min(0, "expected a number from 0 to 1").max(1, "expected a number from 0 to 1") }).optional(),
  })
  .refine((r) => Boolean(r.requiredFields?.length || r.exactFields?.length || r.numericTolerance || r.similarity), "give at least one rule: requiredFields, exactFields, numericTolerance or similarity");
export type ParityRules = z.infer<typeof ParityRules>;

/** One parity input: an object of inputs, nested at most MAX_INPUT_DEPTH deep. */
export const ParityInput = z
  .record(z.string(), z.unknown(), { error: requiredOr("an object of inputs") })
  .refine((input) => !nestsDeeperThan(input, MAX_INPUT_DEPTH), `nests deeper than ${MAX_INPUT_DEPTH} levels`);

/**
 * The most bytes a parity inputs file may hold: no more than an inline request could carry, since a
 * request travels as one Service Bus message of at most 256 KB (Standard tier; MAX_MESSAGE_BYTES in
 * parse.ts, not imported here: parse.ts imports this module). The inputs read from it go into the
 * orchestration's history like inline ones.
 */
export const MAX_PARITY_INPUTS_FILE_BYTES = 256 * 1024;

/**
 * The parity check of a migration: the same inputs are scored on the live prompt flow deployment and
 * on the new agent deployment (each by name, so no client sees it), and the answers compared by `rules`.
 * The run goes on only when at least `minScorePercent` of the cases pass. The inputs come inline
 * (`inputs`) or, one JSON object a line, from a JSONL file in a datastore of the target workspace
 * (`inputsFile`, read by the `readParityInputs` activity in the parity stage): exactly one of the two.
 */
export const ParitySpec = z
  .strictObject({
    inputs: z
      .array(ParityInput, { error: requiredOr("an array of input objects") })
      .min(1, "at least one input")
      .max(MAX_PARITY_INPUTS, `at most ${MAX_PARITY_INPUTS} inputs`)
      .optional(),
    inputsFile: z
      .string({ error: requiredOr("a datastore file URI") })
      .regex(
        PARITY_INPUTS_FILE,
        "expected a JSONL file in a datastore of the target workspace, such as azureml://datastores/workspaceblobstore/paths/parity/cases.jsonl (or the long form naming the target workspace; no '.' or '..' segments)",
      )
      .optional(),
    rules: ParityRules,
    minScorePercent: z.number({ error: requiredOr("a percentage") }).min(0, "expected a percentage from 0 to 100").max(100, "expected a percentage from 0 to 100").default(100),
  })
  .superRefine((p, ctx) => {
    if (p.inputs !== undefined && p.inputsFile !== undefined) ctx.addIssue({ code: "custom", path: ["inputsFile"], message: "give exactly one of inputs or inputsFile, not both" });
    if (p.inputs === undefined && p.inputsFile === undefined) {
      ctx.addIssue({ code: "custom", path: ["inputs"], message: "required: give inputs (an array of input objects) or inputsFile (a JSONL file in a datastore of the target workspace)" });
    }
  })
  // The same rule for the JSON Schema.
  .meta({ oneOf: [{ required: ["inputs"] }, { required: ["inputsFile"] }] });
export type ParitySpec = z.infer<typeof ParitySpec>;

export const RolloutPolicy = z
  .strictObject({
    /**
     * blueGreen keeps the previous deployments at 0% for a quick rollback; replace deletes them once
     * traffic moved; canary moves traffic through `steps`, judging each with `analysis`, then to 100%;
     * migrate moves an endpoint from its live prompt flow deployment to an `agent`: parity and/or mirror
     * first, then the optional `steps`, then 100%, and the prompt flow deployments are retired
     * (docs/migration.md).
     */
    strategy: z.enum(["blueGreen", "replace", "canary", "migrate"], { error: requiredOr('"blueGreen", "replace", "canary" or "migrate"') }).default("blueGreen"),
    /** What happens to a new deployment that failed: deleted, or kept at 0% for inspection. */
    onFailure: z.enum(["delete", "keep"], { error: requiredOr('"delete" or "keep"') }).default("delete"),
    /** Canary only: the live shares before 100%, ascending. */
    steps: z.array(CanaryStep).min(1).max(10).optional(),
    /** Canary or mirror: the health each step (and the mirror's bake) must show. */
    analysis: AnalysisSpec.optional(),
    /** Copy a share of live traffic to the new deployment first (its answers discarded), judged like a canary step. */
    mirror: MirrorSpec.optional(),
    /** Wait for a person's approval after the smoke test, before any live traffic. */
    approval: ApprovalSpec.optional(),
    /**
     * After success, delete flowdeploy's own deployments of this endpoint that serve no traffic and no
     * mirror, beyond the newest N (the new one aside). Omit to keep them all (each bills its instances).
     */
    keepPrevious: z.number({ error: requiredOr("a whole number") }).int("a whole number").min(0).max(20).optional(),
    /** Move live traffic only inside this weekly window (UTC). */
    window: WindowSpec.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.strategy === "canary" || r.strategy === "migrate") {
      if (r.strategy === "canary" && !r.steps) ctx.addIssue({ code: "custom", path: ["steps"], message: 'required for strategy "canary": e.g. [{"percent": 10, "bakeMinutes": 15}]' });
      if (r.strategy === "canary" && !r.analysis) ctx.addIssue({ code: "custom", path: ["analysis"], message: 'required for strategy "canary": e.g. {"maxErrorRatePercent": 1}' });
      if (r.strategy === "migrate" && r.steps && !r.analysis) ctx.addIssue({ code: "custom", path: ["analysis"], message: 'required with "steps": e.g. {"maxErrorRatePercent": 1}' });
      if (r.strategy === "migrate" && r.analysis && !r.steps && !r.mirror) ctx.addIssue({ code: "custom", path: ["analysis"], message: 'only with "steps" or "mirror"' });
      r.steps?.forEach((step, i) => {
        const before = r.steps![i - 1];
        if (before && step.percent <= before.percent) ctx.addIssue({ code: "custom", path: ["steps", i, "percent"], message: `must be above the step before (${before.percent})` });
      });
    } else {
      if (r.steps) ctx.addIssue({ code: "custom", path: ["steps"], message: 'only for strategy "canary" or "migrate"' });
      if (r.analysis && !r.mirror) ctx.addIssue({ code: "custom", path: ["analysis"], message: 'only for strategy "canary" or "migrate", or with "mirror"' });
    }
    if (r.mirror && !r.analysis) ctx.addIssue({ code: "custom", path: ["analysis"], message: 'required with "mirror": e.g. {"maxErrorRatePercent": 1}' });
  });
export type RolloutPolicy = z.infer<typeof RolloutPolicy>;

/** Prompt flow's documented wait (src/domain/targets.ts has every target's). */
export const DEFAULT_PROPAGATION_MINUTES = TARGET_PROPAGATION.flow.defaultMinutes;
export const MIN_PROPAGATION_MINUTES = TARGET_PROPAGATION.flow.minimumMinutes;
/** The propagation wait holds the endpoint's lock: at most an hour, so one request cannot starve the others. */
export const MAX_PROPAGATION_MINUTES = 60;

/** Everything about what to deploy and where, without the idempotency key. */
const targetShape = {
  workspace: WorkspaceRef,
  flow: FlowSource.optional(),
  model: ModelRef.optional(),
  agent: AgentSource.optional(),
  endpoint: EndpointSpec,
  deployment: DeploymentSpec,
  smokeTest: SmokeTestSpec,
  /** Migrations: compare the agent's answers with the prompt flow's before any traffic moves. */
  parity: ParitySpec.optional(),
  rollout: RolloutPolicy.default({ strategy: "blueGreen", onFailure: "delete" }),
  /** Absent: the target's documented wait (src/domain/targets.ts); at least the target's minimum. */
  propagationMinutes: z
    .number({ error: requiredOr("a number of minutes") })
    .int("expected whole minutes")
    .min(1, "at least 1 minute")
    .max(MAX_PROPAGATION_MINUTES, `at most ${MAX_PROPAGATION_MINUTES} minutes`)
    .optional(),
};

type TargetFields = {
  flow?: FlowSource | undefined;
  model?: ModelRef | undefined;
  agent?: AgentSource | undefined;
  parity?: ParitySpec | undefined;
  rollout?: { strategy?: string | undefined; mirror?: unknown } | undefined;
  propagationMinutes?: number | undefined;
  deployment?: { environment?: string | undefined; requestSettings?: { requestTimeoutSeconds?: number | undefined } | undefined } | undefined;
  workspace?: { subscriptionId: string; resourceGroup: string; name: string } | undefined;
};

function sameWorkspace([sub, rg, ws]: [string, string, string], target: { subscriptionId: string; resourceGroup: string; name: string }): boolean {
  return sub.toLowerCase() === target.subscriptionId.toLowerCase() && rg.toLowerCase() === target.resourceGroup.toLowerCase() && ws.toLowerCase() === target.name.toLowerCase();
}

/** Rules that span fields: exactly one source; chat fields exactly for chat flows. */
function checkTarget(value: TargetFields, ctx: z.RefinementCtx): void {
  const given = TARGET_KINDS.filter((kind) => value[kind] !== undefined);
  if (given.length > 1) {
    ctx.addIssue({ code: "custom", path: [given[1]!], message: `give exactly one of flow, model or agent, not ${given.join(" and ")}` });
  } else if (given.length === 0) {
    ctx.addIssue({ code: "custom", path: ["flow"], message: "required: give a flow to register, a registered model {name, version}, or an agent {name, code, scoringScript, environment, aiServices}" });
  }
  checkAgent(value, ctx);
  const kind = given.length === 1 ? given[0]! : undefined;
  const minimum = kind ? TARGET_PROPAGATION[kind].minimumMinutes : undefined;
  if (minimum !== undefined && value.propagationMinutes !== undefined && value.propagationMinutes < minimum) {
    ctx.addIssue({ code: "custom", path: ["propagationMinutes"], message: `${TARGET_PROPAGATION[kind!].why}; use at least ${minimum}` });
  }
  const flow = value.flow;
  const long = flow ? FLOW_PATH.exec(flow.path) : null;
  if (long?.[1] && value.workspace) {
    const [, sub, rg, ws] = long as unknown as [string, string, string, string];
    if (!sameWorkspace([sub, rg, ws], value.workspace)) {
      ctx.addIssue({ code: "custom", path: ["flow", "path"], message: "names another workspace; the flow must be in a datastore of the target workspace" });
    }
  }
  const inputsFile = value.parity?.inputsFile ? parityInputsFileOf(value.parity.inputsFile) : undefined;
  if (inputsFile?.workspace && value.workspace && !sameWorkspace(inputsFile.workspace, value.workspace)) {
    ctx.addIssue({ code: "custom", path: ["parity", "inputsFile"], message: "names another workspace; the parity inputs must be in a datastore of the target workspace" });
  }
  const env = value.deployment?.environment ? ENVIRONMENT_REF.exec(value.deployment.environment) : null;
  if (env?.[3] && value.workspace && !sameWorkspace([env[3], env[4]!, env[5]!], value.workspace)) {
    ctx.addIssue({ code: "custom", path: ["deployment", "environment"], message: "names another workspace; the environment must be in the target workspace" });
  }
  if (flow?.mode === "chat") {
    if (!flow.chatInput) ctx.addIssue({ code: "custom", path: ["flow", "chatInput"], message: "required for chat flows" });
    if (!flow.chatOutput) ctx.addIssue({ code: "custom", path: ["flow", "chatOutput"], message: "required for chat flows" });
  } else if (flow) {
    if (flow.chatInput) ctx.addIssue({ code: "custom", path: ["flow", "chatInput"], message: "only chat flows have a chat input" });
    if (flow.chatOutput) ctx.addIssue({ code: "custom", path: ["flow", "chatOutput"], message: "only chat flows have a chat output" });
  }
}

/** Agent targets: where the code and environment live, and the checks a migration needs. */
function checkAgent(value: TargetFields, ctx: z.RefinementCtx): void {
  const agent = value.agent;
  const migrate = value.rollout?.strategy === "migrate";
  if (migrate && !agent) ctx.addIssue({ code: "custom", path: ["rollout", "strategy"], message: 'a "migrate" rollout deploys an agent: give agent {name, code, scoringScript, environment, aiServices}' });
  if (migrate && !value.parity && !value.rollout?.mirror) ctx.addIssue({ code: "custom", path: ["parity"], message: 'a "migrate" rollout needs a parity check, a mirror (rollout.mirror), or both, before any live traffic' });
  if (value.parity && !migrate) ctx.addIssue({ code: "custom", path: ["parity"], message: 'only for rollout.strategy "migrate"' });
  if (!agent) return;
  if (value.deployment?.environment) ctx.addIssue({ code: "custom", path: ["deployment", "environment"], message: "an agent names its environment in agent.environment" });
  const timeout = value.deployment?.requestSettings?.requestTimeoutSeconds;
  if (timeout !== undefined && timeout > MANAGED_MAX_REQUEST_TIMEOUT_SECONDS) {
    ctx.addIssue({ code: "custom", path: ["deployment", "requestSettings", "requestTimeoutSeconds"], message: `managed online deployments other than prompt flow allow at most ${MANAGED_MAX_REQUEST_TIMEOUT_SECONDS} seconds` });
  }
  const long = FLOW_PATH.exec(agent.code);
  if (long?.[1] && value.workspace && !sameWorkspace([long[1], long[2]!, long[3]!], value.workspace)) {
    ctx.addIssue({ code: "custom", path: ["agent", "code"], message: "names another workspace; the code must be in a datastore of the target workspace" });
  }
  const env = typeof agent.environment === "string" ? ENVIRONMENT_REF.exec(agent.environment) : null;
  if (env?.[3] && value.workspace && !sameWorkspace([env[3], env[4]!, env[5]!], value.workspace)) {
    ctx.addIssue({ code: "custom", path: ["agent", "environment"], message: "names another workspace; the environment must be in the target workspace" });
  }
}

/** The deployment target carried by events: a DeployRequest without its requestId (derived from the event). */
export const DeployTarget = z.strictObject({ schemaVersion: SchemaVersion.optional(), ...targetShape }).superRefine(checkTarget);
export type DeployTarget = z.infer<typeof DeployTarget>;

/** A deploy request, as enqueued on Service Bus or posted to the HTTP starter. */
export const DeployRequest = z
  .strictObject({
    schemaVersion: SchemaVersion,
    /** The idempotency key: the same requestId never deploys twice. */
    requestId: z
      .string({ error: requiredOr("a string") })
      .min(1, "required")
      .max(128, "at most 128 characters")
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "request ids hold letters, digits, '.', '_', ':', '@' and '-'"),
    ...targetShape,
  })
  .superRefine(checkTarget);
export type DeployRequest = z.infer<typeof DeployRequest>;
/** What a producer writes before defaults apply (rollout and propagationMinutes may be omitted). */
export type DeployRequestInput = z.input<typeof DeployRequest>;

/** Turns an event's deployment target into a full request with the given id. */
export function requestFromTarget(target: DeployTarget, requestId: string): DeployRequest {
  const { schemaVersion: _ignored, ...rest } = target;
  return { schemaVersion: "1", requestId, ...rest };
}
