import { z } from "zod";
import { isoTimestamp, WorkspaceRef } from "./common";
import { AgentEnvironment, AnalysisSpec, DeploymentSpec, EndpointSpec, FlowSource, ModelRef, ExtraRole, PARITY_INPUTS_FILE, ParityRules } from "./deployRequest";
import { DeploymentNotification } from "./notification";
import { TARGET_KINDS } from "../domain/targets";

/**
 * Inputs and outputs of every activity: plain JSON (ISO strings, no Dates, no SDK models), because
 * Durable Functions serializes them into orchestration history. Never a key or token.
 * Activities parse their input with these schemas, so a history written by an older orchestrator
 * version fails loudly instead of half-working.
 */

export const ProvisioningState = z.enum(["Creating", "Updating", "Deleting", "Succeeded", "Failed", "Canceled", "NotFound"]);
export type ProvisioningState = z.infer<typeof ProvisioningState>;
export const TERMINAL_STATES: readonly ProvisioningState[] = ["Succeeded", "Failed", "Canceled", "NotFound"];

export const OperationError = z.object({ code: z.string(), message: z.string() });
export type OperationError = z.infer<typeof OperationError>;

/** What an activity that starts an ARM long-running operation hands back for polling. */
export const StartedOperation = z.object({
  provisioningState: ProvisioningState,
  /** The Azure-AsyncOperation URL, read for the error when the resource ends Failed. */
  operationUrl: z.string().nullable(),
  /** Seconds the service asked us to wait before polling (Retry-After). */
  retryAfterSeconds: z.number().nullable(),
});
export type StartedOperation = z.infer<typeof StartedOperation>;

/** startDeployment's answer: the operation, and what the owner should know (e.g. a retiring runtime image). */
export const StartedDeployment = StartedOperation.extend({ warnings: z.array(z.string()).optional() });
export type StartedDeployment = z.infer<typeof StartedDeployment>;

export const EnsureEndpointInput = z.object({
  workspace: WorkspaceRef,
  endpoint: EndpointSpec,
  /** Tags put on a newly created endpoint (request id, flowdeploy version). */
  tags: z.record(z.string(), z.string()),
});
export type EnsureEndpointInput = z.infer<typeof EnsureEndpointInput>;
export const EnsureEndpointResult = StartedOperation.extend({
  /** The endpoint was there already: it is reused, its traffic untouched. */
  existed: z.boolean(),
  /** Traffic as found (deployment → percent), to restore or report. */
  traffic: z.record(z.string(), z.number()),
});
export type EnsureEndpointResult = z.infer<typeof EnsureEndpointResult>;

export const GetEndpointStateInput = z.object({ workspace: WorkspaceRef, endpointName: z.string(), operationUrl: z.string().nullable().optional() });
export type GetEndpointStateInput = z.infer<typeof GetEndpointStateInput>;
export const EndpointState = z.object({
  provisioningState: ProvisioningState,
  /** The endpoint identity's principal id as Azure reports it (system-assigned once created; user-assigned from the identity). */
  principalId: z.string().nullable(),
  scoringUri: z.string().nullable(),
  traffic: z.record(z.string(), z.number()),
  error: OperationError.nullable(),
});
export type EndpointState = z.infer<typeof EndpointState>;

export const ResolveIdentityInput = z.object({
  /** The user-assigned identity's ARM id (already checked against FLOWDEPLOY_ALLOWED_IDENTITIES). */
  resourceId: z.string(),
  /** What the request claimed, if anything: a different value from Azure's refuses the run. */
  claimedPrincipalId: z.string().nullable(),
  claimedClientId: z.string().nullable(),
});
export type ResolveIdentityInput = z.infer<typeof ResolveIdentityInput>;
/** A user-assigned identity as Azure knows it: the principal that gets roles, the client id the deployment uses. */
export const ResolvedIdentity = z.object({ resourceId: z.string(), principalId: z.string(), clientId: z.string(), tenantId: z.string() });
export type ResolvedIdentity = z.infer<typeof ResolvedIdentity>;

export const GrantRolesInput = z.object({
  workspace: WorkspaceRef,
  identityType: z.enum(["SystemAssigned", "UserAssigned"]),
  principalId: z.string(),
  /** The request's `endpoint.extraRoles` (checked at intake against FLOWDEPLOY_EXTRA_ROLE_SCOPES). */
  extraRoles: z.array(ExtraRole).optional(),
  /** What the request deploys: an agent gets no connection secrets reader, and its resources' roles. */
  target: z.enum(TARGET_KINDS).default("flow"),
  /** An agent's resources (checked at intake against FLOWDEPLOY_EXTRA_ROLE_SCOPES). */
  agent: z.object({ aiServices: z.string(), keyVault: z.string().optional() }).optional(),
});
export type GrantRolesInput = z.input<typeof GrantRolesInput>;
export const GrantRolesResult = z.object({
  assignments: z.array(z.object({ scope: z.string(), roleDefinitionGuid: z.string(), name: z.string(), createdOn: isoTimestamp, created: z.boolean() })),
  /** When the last assignment was made or found: the propagation wait counts from here. */
  grantedAt: isoTimestamp,
});
export type GrantRolesResult = z.infer<typeof GrantRolesResult>;

export const RegisterModelInput = z.object({
  workspace: WorkspaceRef,
  requestId: z.string(),
  flow: FlowSource.optional(),
  model: ModelRef.optional(),
});
export type RegisterModelInput = z.infer<typeof RegisterModelInput>;
export const RegisteredModel = z.object({ name: z.string(), version: z.string(), id: z.string(), created: z.boolean() });
export type RegisteredModel = z.infer<typeof RegisteredModel>;

/** registerCode: an agent's code folder as a code asset version (the `model` stage of an agent). */
export const RegisterCodeInput = z.object({ workspace: WorkspaceRef, requestId: z.string(), agent: z.object({ name: z.string(), code: z.string() }) });
export type RegisterCodeInput = z.infer<typeof RegisterCodeInput>;

export const ChooseDeploymentNameInput = z.object({ workspace: WorkspaceRef, endpointName: z.string(), requestId: z.string() });
export type ChooseDeploymentNameInput = z.infer<typeof ChooseDeploymentNameInput>;
export const ChosenDeploymentName = z.object({ name: z.string(), reason: z.string() });
export type ChosenDeploymentName = z.infer<typeof ChosenDeploymentName>;

export const StartDeploymentInput = z.object({
  workspace: WorkspaceRef,
  requestId: z.string(),
  endpoint: EndpointSpec,
  /** The user-assigned identity's client id as read from Azure (AZURE_CLIENT_ID of the deployment); null for system-assigned. */
  identityClientId: z.string().nullable(),
  /** The request's deployment with its name decided (named, or chosen by chooseDeploymentName). */
  deployment: DeploymentSpec.extend({ name: z.string() }),
  /** The model version a prompt flow (or model) deployment serves; null for an agent. */
  modelId: z.string().nullable(),
  /** An agent: its code asset version, scoring script and environment (code configuration). */
  agent: z.object({ codeId: z.string(), scoringScript: z.string(), environment: AgentEnvironment }).optional(),
});
export type StartDeploymentInput = z.infer<typeof StartDeploymentInput>;

export const DeploymentRef = z.object({
  workspace: WorkspaceRef,
  endpointName: z.string(),
  deploymentName: z.string(),
  operationUrl: z.string().nullable().optional(),
  /** deleteDeployment: a migration retiring a prompt flow deployment flowdeploy did not create may delete it when FLOWDEPLOY_ADOPT_ENDPOINTS allows. */
  retireAdopted: z.boolean().optional(),
});
export type DeploymentRef = z.infer<typeof DeploymentRef>;
export const DeploymentState = z.object({
  provisioningState: ProvisioningState,
  error: OperationError.nullable(),
  /** The last lines of the inference server's logs when the deployment failed (secret-free as Azure returns them). */
  logsTail: z.string().nullable(),
  /** The container's last error line when it could not start (e.g. ModuleNotFoundError), with what to do; secret-shaped text masked. */
  diagnosis: z.string().nullable().optional(),
});
export type DeploymentState = z.infer<typeof DeploymentState>;

export const SmokeTestInput = z.object({
  workspace: WorkspaceRef,
  endpointName: z.string(),
  deploymentName: z.string(),
  authMode: z.enum(["key", "aml_token"]),
  input: z.record(z.string(), z.unknown()),
  expectFields: z.array(z.string()).optional(),
  timeoutSeconds: z.number().positive().default(30),
});
export type SmokeTestInput = z.input<typeof SmokeTestInput>;
export const SmokeTestResult = z.object({
  /** passed; notYetAuthorized (401/403, or the 424 a flow gives when it cannot read its connections yet): retry later; failed. */
  outcome: z.enum(["passed", "notYetAuthorized", "failed"]),
  status: z.number().nullable(),
  /** A short, secret-free reason. */
  reason: z.string(),
  durationMs: z.number(),
});
export type SmokeTestResult = z.infer<typeof SmokeTestResult>;

export const SetTrafficInput = z.object({
  workspace: WorkspaceRef,
  endpointName: z.string(),
  traffic: z.record(z.string(), z.number().int().min(0).max(100)),
  /** Mirrored shares to set (deployment → percent, 0 stops one); omitted: the endpoint's mirror as it is. */
  mirror: z.record(z.string(), z.number().int().min(0).max(50)).optional(),
});
export type SetTrafficInput = z.infer<typeof SetTrafficInput>;

export const DeleteDeploymentResult = z.object({
  existed: z.boolean(),
  /** False when the deployment was left alone: flowdeploy did not create it (no flowdeploy.managed tag). */
  deleted: z.boolean().optional(),
  operationUrl: z.string().nullable(),
  retryAfterSeconds: z.number().nullable(),
});
export type DeleteDeploymentResult = z.infer<typeof DeleteDeploymentResult>;

export const NotifyInput = DeploymentNotification;
export const NotifyResult = z.object({ messageId: z.string() });
export type NotifyResult = z.infer<typeof NotifyResult>;

/** analyzeDeploymentHealth: judge one deployment's Azure Monitor metrics over a bake window. */
export const AnalyzeHealthInput = z.object({
  workspace: WorkspaceRef,
  endpointName: z.string(),
  deploymentName: z.string(),
  /** The bake window, ISO instants (whole minutes: the metrics' grain is PT1M). */
  from: isoTimestamp,
  to: isoTimestamp,
  analysis: AnalysisSpec,
});
export type AnalyzeHealthInput = z.input<typeof AnalyzeHealthInput>;
export const HealthVerdict = z.object({
  /** healthy: within every limit; unhealthy: a limit breached; insufficient: fewer requests than minRequests. */
  verdict: z.enum(["healthy", "unhealthy", "insufficient"]),
  requests: z.number().int().min(0),
  /** Requests that failed: 5xx, and 408/424/429 (a failing model container shows as 424). */
  errors: z.number().int().min(0),
  errorRatePercent: z.number().min(0).max(100).nullable(),
  /** The highest per-minute P95 latency in the window; null when no minute had data. */
  p95LatencyMs: z.number().min(0).nullable(),
  /** Each limit breached, in words with the figures (empty when healthy). */
  reasons: z.array(z.string()),
});
export type HealthVerdict = z.infer<typeof HealthVerdict>;

/** listEndpointDeployments: every deployment of an endpoint with what retention needs to judge it. */
export const ListEndpointDeploymentsInput = z.object({ workspace: WorkspaceRef, endpointName: z.string() });
export type ListEndpointDeploymentsInput = z.infer<typeof ListEndpointDeploymentsInput>;
export const EndpointDeploymentList = z.object({
  deployments: z.array(z.object({ name: z.string(), managed: z.boolean(), createdAt: z.string().nullable(), traffic: z.number(), mirror: z.number() })),
});
export type EndpointDeploymentList = z.infer<typeof EndpointDeploymentList>;

/** describeRuntimes: what each deployment of an endpoint runs (a migration's baseline). */
export const DescribeRuntimesInput = z.object({ workspace: WorkspaceRef, endpointName: z.string() });
export type DescribeRuntimesInput = z.infer<typeof DescribeRuntimesInput>;
export const DeploymentRuntimes = z.object({
  deployments: z.array(
    z.object({
      name: z.string(),
      traffic: z.number(),
      /** Runs the prompt flow runtime (its image, or PROMPTFLOW_RUN_MODE), as Azure reports it. */
      promptFlow: z.boolean(),
      /** Has a code configuration (an agent or another scoring script). */
      code: z.boolean(),
      managed: z.boolean(),
      mirror: z.number(),
      /** When Azure created it (systemData.createdAt); null when Azure did not say. */
      createdAt: z.string().nullable(),
    }),
  ),
});
export type DeploymentRuntimes = z.infer<typeof DeploymentRuntimes>;

/** checkParity: one batch of a migration's parity cases, scored on both deployments by name. */
export const CheckParityInput = z.object({
  workspace: WorkspaceRef,
  endpointName: z.string(),
  baseline: z.string(),
  candidate: z.string(),
  authMode: z.enum(["key", "aml_token"]),
  cases: z.array(z.object({ index: z.number().int().min(0), input: z.record(z.string(), z.unknown()) })).min(1).max(10),
  rules: ParityRules,
  timeoutSeconds: z.number().positive().default(30),
});
export type CheckParityInput = z.input<typeof CheckParityInput>;
export const ParityBatch = z.object({ cases: z.array(z.object({ index: z.number().int().min(0), passed: z.boolean(), reasons: z.array(z.string()) })) });
export type ParityBatch = z.infer<typeof ParityBatch>;

/**
 * readParityInputs: a migration's parity inputs from a JSONL file in a datastore of the workspace
 * (`parity.inputsFile`, already checked at intake), one JSON object a line.
 */
export const ReadParityInputsInput = z.object({ workspace: WorkspaceRef, uri: z.string().regex(PARITY_INPUTS_FILE, "expected azureml://datastores/<store>/paths/<path>.jsonl") });
export type ReadParityInputsInput = z.infer<typeof ReadParityInputsInput>;
export const ParityInputs = z.object({
  /** The inputs, in the file's order (blank lines skipped): each case's index is its place here. */
  inputs: z.array(z.record(z.string(), z.unknown())),
  /** The bytes read: the blob's size. */
  bytes: z.number().int().min(0),
});
export type ParityInputs = z.infer<typeof ParityInputs>;
