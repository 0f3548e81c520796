import { AZURE_AI_USER_ROLE_ID, COGNITIVE_SERVICES_USER_ROLE_ID, KEY_VAULT_SECRETS_USER_ROLE_ID, OPENAI_USER_ROLE_ID } from "./builtinRoles";
import { resolveCodeReference, type CodeState } from "./codes";
import { normalizeFolderUri } from "./flowPackages";
import { stableGuid } from "./ids";
import { isRecord } from "./json";
import { runFlow, type FlowSpec } from "./promptFlow";
import { hasRoleOver } from "./rbac";
import type { DeploymentRecord, EndpointRecord, SimState } from "./stateStore";

/**
 * Agent deployments: a Microsoft Agent Framework workflow deployed as a managed online deployment with
 * a code configuration (`properties.codeConfiguration: {codeId, scoringScript}`, no model). The
 * container runs the azureml inference server (azureml-inference-server-http), which calls the
 * scoring script's `init()` once and `run(raw_data)` for every POST /score with the request's JSON
 * body; `run()`'s return value is the answer (learn.microsoft.com how-to-inference-server-http). An
 * uncaught exception in `run()` makes the server answer 500 `{"message": "An unexpected error
 * occurred in scoring script. Check the logs for more info."}` with `x-ms-run-function-failed: True`
 * (the server's own tests, azureml-inference-server-http `test_user_script_run_exception`), which
 * the managed endpoint front end reports as 424 with `ms-azureml-model-error-statuscode: 500`.
 *
 * The scoring script contract the simulator plays (flowdeploy's agent template): a call to Azure AI
 * Services or Key Vault that the service refuses is answered with that service's error body and
 * status (an `AMLResponse`), not raised, so the caller can tell "not authorized yet" from a bug; the
 * front end reports it as 424 with the service's status as the model status. So:
 * - Azure OpenAI / AI Services without a data-action role: 401 `{"error": {"code": "PermissionDenied",
 *   "message": "The principal `<oid>` lacks the required data action
 *   `Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action` to perform
 *   `POST /openai/deployments/{deployment-id}/chat/completions` operation."}}` — the body and status
 *   Azure OpenAI answers (recorded in azurefeeds.com "Lesson Learned #527", 2025-07-08: HTTP 401 with
 *   this body; the same text in davrous/AzureAgentToM365#3, "Status: 401 (PermissionDenied)").
 * - Key Vault without a secrets role: 403 `{"error": {"code": "Forbidden", "message": "Caller is not
 *   authorized to perform action on resource.\r\nIf role assignments, deny assignments or role
 *   definitions were changed recently, please observe propagation time.\r\nCaller: ...\r\nAction:
 *   'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: ...\r\nAssignment: (not
 *   found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault:
 *   ...\r\n", "innererror": {"code": "ForbiddenByRbac"}}}` (recorded in piyushsachdeva/Terraform_AKS#2:
 *   Status=403 Code="Forbidden" ... InnerError={"code":"ForbiddenByRbac"}).
 * The roles that clear them: Cognitive Services User, Cognitive Services OpenAI User or Azure AI User
 * on the AI Services account (any of them grants the chat/completions data action: built-in roles
 * page, ai-machine-learning), Key Vault Secrets User on the vault; each effective only once older
 * than the propagation delay, like every assignment here. An agent does not read workspace
 * connections, so the Connection Secrets Reader check of prompt flow deployments does not apply.
 */

export interface AgentAnswer {
  when: Record<string, string>;
  output: Record<string, unknown>;
}

export interface AgentFolderSeed {
  /** The code folder's workspace-scoped datastore URI, lower case, without a trailing slash. */
  uri: string;
  aiServices: string;
  keyVault?: string;
  contract: "standard" | "chat";
  answers: AgentAnswer[];
}

export type AgentState = { agentFolders?: AgentFolderSeed[] };

/** Roles any one of which lets the agent call its AI Services account (chat completions). */
export const AI_SERVICES_ROLE_IDS = [COGNITIVE_SERVICES_USER_ROLE_ID, OPENAI_USER_ROLE_ID, AZURE_AI_USER_ROLE_ID] as const;

/** What the inference server answers when run() raises (azureml-inference-server-http). */
export const SCORING_SCRIPT_FAILED_MESSAGE = "An unexpected error occurred in scoring script. Check the logs for more info.";

/** The data action a chat completion needs, as Azure OpenAI names it in its PermissionDenied message. */
const CHAT_COMPLETIONS_ACTION = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action";

/** The secret the simulated agent reads at the start of a run (its name is the simulator's choice). */
export const AGENT_SECRET_NAME = "agent-settings";

export function codeConfigurationOf(deployment: DeploymentRecord): { codeId?: string; scoringScript: string } | undefined {
  const cc = deployment.properties["codeConfiguration"];
  if (!isRecord(cc)) return undefined;
  const codeId = typeof cc["codeId"] === "string" ? cc["codeId"] : undefined;
  return { ...(codeId !== undefined ? { codeId } : {}), scoringScript: typeof cc["scoringScript"] === "string" ? cc["scoringScript"] : "" };
}

/** A deployment with a code configuration runs a scoring script: an agent, for the simulator. */
export function isAgentDeployment(deployment: DeploymentRecord): boolean {
  return codeConfigurationOf(deployment) !== undefined;
}

/** The scenario's description of the agent's code folder (via codeId → code version → codeUri). */
export function agentFolderOf(state: SimState, deployment: DeploymentRecord): AgentFolderSeed | undefined {
  const codeId = codeConfigurationOf(deployment)?.codeId;
  if (codeId === undefined) return undefined;
  const code = resolveCodeReference(state as unknown as CodeState, deployment.workspace, codeId);
  if (typeof code !== "object" || !code.codeUri) return undefined;
  const uri = normalizeFolderUri(code.codeUri, deployment.workspace);
  return (state as AgentState).agentFolders?.find((f) => f.uri === uri);
}

/**
 * The principal the agent's credential signs in as: the user-assigned identity whose client id the
 * deployment sets in AZURE_CLIENT_ID, else the system-assigned one, else the first user-assigned.
 */
export function agentPrincipal(endpoint: EndpointRecord, deployment: DeploymentRecord): { principalId: string; clientId: string } | undefined {
  const vars = isRecord(deployment.properties["environmentVariables"]) ? deployment.properties["environmentVariables"] : {};
  const clientId = typeof vars["AZURE_CLIENT_ID"] === "string" ? vars["AZURE_CLIENT_ID"].toLowerCase() : undefined;
  const uais = Object.values(endpoint.identity.userAssigned);
  const named = clientId === undefined ? undefined : uais.find((u) => u.clientId.toLowerCase() === clientId);
  if (named) return named;
  if (endpoint.identity.principalId) return { principalId: endpoint.identity.principalId, clientId: stableGuid(`app|${endpoint.identity.principalId}`) };
  return uais[0];
}

export interface AgentRefusal {
  /** The status the scoring script answered with (the front end's ms-azureml-model-error-statuscode). */
  containerStatus: number;
  body: Record<string, unknown>;
}

/** The first service the agent cannot use yet (Key Vault, read first, then AI Services), as its refusal. */
export function agentDenial(state: SimState, endpoint: EndpointRecord, deployment: DeploymentRecord, folder: AgentFolderSeed | undefined, now: Date): AgentRefusal | undefined {
  if (!folder) return undefined;
  const principal = agentPrincipal(endpoint, deployment);
  const principals = principal ? [principal.principalId] : [];
  const effectiveBy = new Date(now.getTime() - state.latency.propagationSeconds * 1000);
  if (folder.keyVault !== undefined && !hasRoleOver(state, principals, KEY_VAULT_SECRETS_USER_ROLE_ID, folder.keyVault, effectiveBy)) {
    const vault = folder.keyVault.split("/").pop() ?? folder.keyVault;
    const message = [
      "Caller is not authorized to perform action on resource.",
      "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.",
      `Caller: appid=${principal?.clientId ?? "unknown"};oid=${principal?.principalId ?? "unknown"};iss=https://sts.windows.net/${state.tenantId}/`,
      "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'",
      `Resource: '${folder.keyVault.toLowerCase()}/secrets/${AGENT_SECRET_NAME}'`,
      "Assignment: (not found)",
      "DenyAssignmentId: null",
      "DecisionReason: 'DeniedWithNoValidRBAC' ",
      `Vault: ${vault};location=${state.location}`,
      "",
    ].join("\r\n");
    return { containerStatus: 403, body: { error: { code: "Forbidden", message, innererror: { code: "ForbiddenByRbac" } } } };
  }
  if (!AI_SERVICES_ROLE_IDS.some((role) => hasRoleOver(state, principals, role, folder.aiServices, effectiveBy))) {
    return {
      containerStatus: 401,
      body: {
        error: {
          code: "PermissionDenied",
          message: `The principal \`${principal?.principalId ?? "unknown"}\` lacks the required data action \`${CHAT_COMPLETIONS_ACTION}\` to perform \`POST /openai/deployments/{deployment-id}/chat/completions\` operation.`,
        },
      },
    };
  }
  return undefined;
}

function flowSpec(folder: AgentFolderSeed | undefined): FlowSpec {
  return { kind: folder?.contract ?? "standard", chatInput: "question", chatOutput: "answer" };
}

function matches(answer: AgentAnswer, input: Record<string, unknown>): boolean {
  return Object.entries(answer.when).every(([field, needle]) => {
    const value = input[field];
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return false;
    return String(value).toLowerCase().includes(needle.toLowerCase());
  });
}

/**
 * What `run()` returns for a request body: the first matching scenario answer, else the contract's
 * (standard: like the web-classification flow; chat: `{question, chat_history}` → `{answer}`).
 * `undefined` when run() raises (not a JSON object, a required input missing).
 */
export function runAgent(folder: AgentFolderSeed | undefined, body: unknown): Record<string, unknown> | undefined {
  if (!isRecord(body)) return undefined;
  const answer = folder?.answers.find((a) => matches(a, body));
  if (answer) return structuredClone(answer.output);
  const result = runFlow(flowSpec(folder), body);
  return result.ok ? result.output : undefined;
}

/** The input synthetic callers send an agent. */
export function agentSampleInput(folder: AgentFolderSeed | undefined): Record<string, unknown> {
  return flowSpec(folder).kind === "chat" ? { question: "What can you do?", chat_history: [] } : { url: "https://play.google.com/store/apps/details?id=com.example.app" };
}
