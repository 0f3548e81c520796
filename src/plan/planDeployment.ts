import { getOnlineEndpoint } from "../azure/mlOperations";
import { getOrUndefined, wsArgs } from "../activities/arm";
import type { ActivityDeps } from "../activities/deps";
import { ARM_AUTH_MODE, endpointConflicts } from "../activities/endpoint";
import { resolveIdentity } from "../activities/identity";
import { isManaged } from "../activities/managed";
import { agentEnvironmentName } from "../activities/deployment";
import { nextModelVersion, REQUEST_TAG } from "../activities/model";
import { workspaceResources } from "../activities/roles";
import { describeRuntimes } from "../activities/runtimes";
import { chooseDeploymentName } from "../activities/slot";
import { workspaceResourceId } from "../contracts/common";
import { propagationMinutesOf, targetKindOf } from "../domain/targets";
import { environmentNameAndVersion, requestedDeploymentName, type DeployRequest } from "../contracts/deployRequest";
import { retiringImageWarning } from "../domain/promptFlowRuntime";
import { requestSettingsFor } from "../domain/requestSettings";
import { agentGrants, extraGrants, roleGuidOf, rolesFor } from "../domain/roles";
import { promptFlowToRetire } from "../domain/retention";
import { trafficAfterRollout, replacedDeployments } from "../domain/traffic";
import { toPipelineError } from "../errors";

/**
 * What a request would do against Azure as it is now — the endpoint created or reused, the roles and
 * the real principal they go to, the model version, the deployment name, the traffic before and after
 * — read with the activities' own clients, changing nothing (GETs and lists only). `problems` are
 * what would stop the run (the same checks the activities make); an empty list means it would start.
 */
export interface DeploymentPlan {
  requestId: string;
  endpoint: { name: string; action: "create" | "reuse"; authMode: string; identity: string; principalId: string | null };
  roles: Array<{ role: string; scope: string; state: "granted" | "toGrant" | "unknown" }>;
  /** The model version, or an agent's code asset version (kind "code"). */
  model: { name: string; version: string; action: "register" | "reuse" | "use"; kind?: "code" };
  deployment: { name: string; chosen: string | null; action: "create" | "update"; environment: string; requestTimeoutSeconds: number; maxConcurrentRequestsPerInstance: number };
  traffic: { before: Record<string, number>; after: Record<string, number>; deleted: string[] };
  propagationMinutes: number;
  problems: Array<{ code: string; message: string }>;
  warnings: string[];
}

export async function planDeployment(deps: ActivityDeps, request: DeployRequest): Promise<DeploymentPlan> {
  const ml = deps.ml(request.workspace.subscriptionId);
  const [rg, ws] = wsArgs(request.workspace);
  const problems: DeploymentPlan["problems"] = [];
  const attempt = async <T>(what: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await what();
    } catch (err) {
      const e = toPipelineError(err);
      problems.push({ code: e.code, message: e.message });
      return undefined;
    }
  };

  // Endpoint: reuse keeps its traffic; a different auth mode or identity, or someone else's, stops the run.
  const existing = await getOrUndefined(() => getOnlineEndpoint(ml, rg, ws, request.endpoint.name));
  const wantedAuth = ARM_AUTH_MODE[request.endpoint.authMode];
  if (existing) {
    if (!isManaged(existing.tags) && !deps.settings.adoptEndpoints) problems.push({ code: "EndpointNotManaged", message: `endpoint ${request.endpoint.name} exists and was not created by flowdeploy` });
    for (const message of endpointConflicts(existing, request.endpoint)) problems.push({ code: "EndpointConflict", message });
  }

  // The principal the roles go to: Azure's, never the request's.
  const identity = request.endpoint.identity;
  const principalId =
    identity.type === "UserAssigned"
      ? ((await attempt(() => resolveIdentity(deps, { resourceId: identity.resourceId, claimedPrincipalId: identity.principalId ?? null, claimedClientId: identity.clientId ?? null })))?.principalId ?? null)
      : (existing?.identity?.principalId ?? null);

  // Roles at the scopes the grant activity would use, and whether each already exists.
  const resources = identity.type === "UserAssigned" ? await attempt(() => workspaceResources(deps, request.workspace)) : undefined;
  const scopes = { workspace: workspaceResourceId(request.workspace), containerRegistry: resources?.containerRegistry ?? "", storageAccount: resources?.storageAccount ?? "" };
  const grants = [...rolesFor(identity.type, targetKindOf(request)).map((g) => ({ scope: scopes[g.on], roleDefinitionGuid: g.roleDefinitionGuid })), ...agentGrants(request.agent), ...extraGrants(request.endpoint.extraRoles)].filter((g) => g.scope);
  const authz = deps.authz(request.workspace.subscriptionId);
  const roles: DeploymentPlan["roles"] = [];
  for (const g of grants) {
    let state: "granted" | "toGrant" | "unknown" = "toGrant";
    if (principalId) {
      try {
        for await (const a of authz.roleAssignments.listForScope(g.scope, { filter: `principalId eq '${principalId}'` })) {
          if (roleGuidOf(a.roleDefinitionId ?? "") === g.roleDefinitionGuid.toLowerCase()) state = "granted";
        }
      } catch {
        state = "unknown";
      }
    }
    roles.push({ role: g.roleDefinitionGuid, scope: g.scope, state });
  }

  // Model (an agent: its code asset): the version this request registered before, the next one, or the given one.
  let model: DeploymentPlan["model"];
  if (request.agent) {
    const name = request.agent.name;
    const versions: { name?: string; tags?: Record<string, string | null> }[] = [];
    try {
      for await (const v of ml.codeVersions.list(rg, ws, name)) versions.push({ ...(v.name !== undefined ? { name: v.name } : {}), ...(v.properties.tags ? { tags: v.properties.tags } : {}) });
    } catch {
      // No container yet: the first version.
    }
    const mine = versions.find((v) => v.tags?.[REQUEST_TAG] === request.requestId);
    model = mine?.name ? { name, version: mine.name, action: "reuse", kind: "code" } : { name, version: nextModelVersion(versions), action: "register", kind: "code" };
  } else if (request.model) {
    const found = await getOrUndefined(() => ml.modelVersions.get(rg, ws, request.model!.name, request.model!.version));
    if (!found) problems.push({ code: "ModelNotFound", message: `model ${request.model.name}:${request.model.version} does not exist in workspace ${request.workspace.name}` });
    model = { name: request.model.name, version: request.model.version, action: "use" };
  } else {
    const flow = request.flow!;
    const versions: { name?: string; tags?: Record<string, string | null> }[] = [];
    try {
      for await (const v of ml.modelVersions.list(rg, ws, flow.name)) versions.push({ ...(v.name !== undefined ? { name: v.name } : {}), ...(v.properties.tags ? { tags: v.properties.tags } : {}) });
    } catch {
      // No container yet: the first version.
    }
    const mine = versions.find((v) => v.tags?.[REQUEST_TAG] === request.requestId);
    const next = nextModelVersion(versions);
    model = mine?.name ? { name: flow.name, version: mine.name, action: "reuse" } : { name: flow.name, version: next, action: "register" };
  }

  // Deployment name: the request's, or the slot the run would choose now.
  const named = requestedDeploymentName(request.deployment);
  const chosen = named ? undefined : await attempt(() => chooseDeploymentName(deps, { workspace: request.workspace, endpointName: request.endpoint.name, requestId: request.requestId }));
  const deploymentName = named ?? chosen?.name ?? "blue";
  const before = existing?.properties.traffic ?? {};
  const current = existing ? await getOrUndefined(() => ml.onlineDeployments.get(rg, ws, request.endpoint.name, deploymentName)) : undefined;
  if (current && (before[deploymentName] ?? 0) > 0) problems.push({ code: "DeploymentIsLive", message: `deployment ${deploymentName} serves ${before[deploymentName]}% of ${request.endpoint.name}'s traffic; deploy under a new name (blue/green)` });
  if (current && !isManaged(current.tags) && !deps.settings.adoptEndpoints) problems.push({ code: "DeploymentNotManaged", message: `deployment ${deploymentName} exists and was not created by flowdeploy` });

  const agentEnv = request.agent?.environment;
  const environment =
    agentEnv !== undefined
      ? typeof agentEnv === "string"
        ? agentEnv
        : `${agentEnvironmentName(request.agent!.name)} (${agentEnv.image} + conda file)`
      : (request.deployment.environment ?? `${deps.settings.servingEnvironment.name} (${deps.settings.servingImage})`);
  const environmentRef = typeof agentEnv === "string" ? agentEnv : request.deployment.environment;
  if (environmentRef) {
    const ref = environmentNameAndVersion(environmentRef);
    if (ref && !(await getOrUndefined(() => ml.environmentVersions.get(rg, ws, ref.name, ref.version)))) problems.push({ code: "EnvironmentNotFound", message: `environment ${ref.name}:${ref.version} does not exist in workspace ${request.workspace.name}` });
  }
  let retired: string[] = [];
  if (request.rollout.strategy === "migrate") {
    // The run's first step (describeRuntimes): a live prompt flow deployment to migrate from, as Azure reports it.
    const runtimes = await attempt(() => describeRuntimes(deps, { workspace: request.workspace, endpointName: request.endpoint.name }));
    if (runtimes && !runtimes.deployments.some((d) => d.promptFlow && d.traffic > 0)) {
      problems.push({ code: "NothingToMigrate", message: `no deployment of endpoint ${request.endpoint.name} serves live traffic on the prompt flow runtime` });
    }
    // Once the agent has all the traffic, every other deployment is at 0% (none mirrored).
    const after = (runtimes?.deployments ?? []).map((d) => ({ ...d, traffic: 0, mirror: 0 }));
    retired = promptFlowToRetire(after, deploymentName, request.rollout.keepPrevious ?? 0);
  }
  const settings = requestSettingsFor(request.deployment, targetKindOf(request));
  const after = trafficAfterRollout(before, deploymentName, request.rollout.strategy);
  const warning = request.deployment.environment || request.agent ? null : retiringImageWarning(deps.settings.servingImage);

  return {
    requestId: request.requestId,
    endpoint: { name: request.endpoint.name, action: existing ? "reuse" : "create", authMode: wantedAuth, identity: identity.type === "UserAssigned" ? identity.resourceId : "SystemAssigned", principalId },
    roles,
    model,
    deployment: { name: deploymentName, chosen: chosen?.reason ?? null, action: current ? "update" : "create", environment, ...settings },
    traffic: { before, after, deleted: request.rollout.strategy === "replace" ? replacedDeployments(before, deploymentName) : retired },
    propagationMinutes: propagationMinutesOf(request),
    problems,
    warnings: warning ? [warning] : [],
  };
}
