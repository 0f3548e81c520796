import type { RoleAssignment } from "@azure/arm-authorization";
import type { GrantRolesInput, GrantRolesResult } from "../contracts/activities";
import { workspaceResourceId } from "../contracts/common";
import { roleAssignmentName } from "../domain/ids";
import { agentGrants, extraGrants, roleDefinitionId, roleGuidOf, rolesFor, type ExtraGrant, type RoleGrant } from "../domain/roles";
import { getWorkspaceCurrent } from "../azure/mlOperations";
import { NonRetryableError, RetryAfterError, toPipelineError } from "../errors";
import { wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";

/**
 * Entra ID replicates a new service principal within seconds to minutes; until then ARM answers
 * PrincipalNotFound even with principalType set. Worth retrying after a short wait.
 */
const PRINCIPAL_NOT_FOUND_RETRY_SECONDS = 10;

/**
 * Grants the endpoint identity its roles at the narrowest scopes (DESIGN §1). Each assignment's name
 * is a UUIDv5 of (scope, principal, role), so a retry PUTs the same name (200) instead of a twin;
 * 409 RoleAssignmentExists (same role, principal and scope under another name) counts as success.
 * Returns when the last assignment was made or found: the propagation wait counts from there.
 */
export async function grantEndpointRoles(deps: ActivityDeps, input: GrantRolesInput): Promise<GrantRolesResult> {
  const authz = deps.authz(input.workspace.subscriptionId);
  const scopes = await scopesFor(deps, input);
  const assignments: GrantRolesResult["assignments"] = [];

  const grants = [
    ...rolesFor(input.identityType, input.target).map((grant) => ({ scope: scopes[grant.on], roleDefinitionGuid: grant.roleDefinitionGuid })),
    ...agentGrants(input.agent),
    ...extraGrants(input.extraRoles),
  ];
  for (const grant of grants) {
    const scope = grant.scope;
    const name = roleAssignmentName(scope, input.principalId, grant.roleDefinitionGuid);
    const made = await createOrFind(deps, authz, scope, name, input, grant);
    assignments.push({
      scope,
      roleDefinitionGuid: grant.roleDefinitionGuid,
      name: made.assignment.name ?? name,
      createdOn: (made.assignment.createdOn ?? deps.clock.now()).toISOString(),
      created: made.created,
    });
  }
  const grantedAt = new Date(Math.max(...assignments.map((a) => Date.parse(a.createdOn)))).toISOString();
  deps.log?.info(`roles: ${assignments.map((a) => `${a.roleDefinitionGuid}@${a.scope.split("/").pop()}${a.created ? "" : " (existed)"}`).join(", ")}`);
  return { assignments, grantedAt };
}

type AuthzClient = ReturnType<ActivityDeps["authz"]>;

async function createOrFind(deps: ActivityDeps, authz: AuthzClient, scope: string, name: string, input: GrantRolesInput, grant: ExtraGrant): Promise<{ assignment: RoleAssignment; created: boolean }> {
  try {
    const assignment = await authz.roleAssignments.create(scope, name, {
      roleDefinitionId: roleDefinitionId(input.workspace.subscriptionId, grant.roleDefinitionGuid),
      principalId: input.principalId,
      // Without principalType a just-created managed identity fails with PrincipalNotFound
      // (Entra replication delay; aka.ms/docs-principaltype).
      principalType: "ServicePrincipal",
      description: "Granted by flowdeploy to an online endpoint identity",
    });
    return { assignment, created: true };
  } catch (err) {
    const error = toPipelineError(err);
    if (error.code === "RoleAssignmentExists") return { assignment: await findExisting(authz, scope, input.principalId, grant.roleDefinitionGuid, deps), created: false };
    if (error.code === "PrincipalNotFound") {
      throw new RetryAfterError(`principal ${input.principalId} is not replicated yet`, { code: "PrincipalNotFound", retryAfterSeconds: PRINCIPAL_NOT_FOUND_RETRY_SECONDS, status: error.status, cause: err });
    }
    throw error;
  }
}

/** The assignment that made ARM answer RoleAssignmentExists, for its creation time. */
async function findExisting(authz: AuthzClient, scope: string, principalId: string, roleGuid: string, deps: ActivityDeps): Promise<RoleAssignment> {
  for await (const a of authz.roleAssignments.listForScope(scope, { filter: `principalId eq '${principalId}'` })) {
    if (a.principalId === principalId && roleGuidOf(a.roleDefinitionId ?? "") === roleGuid.toLowerCase()) return a;
  }
  // ARM said it exists but did not list it (eventual consistency): count it as granted now.
  return { createdOn: deps.clock.now() };
}

/** The resource ids roles are granted on; the registry and storage ids come from the workspace (a project's: its hub's). */
async function scopesFor(deps: ActivityDeps, input: GrantRolesInput): Promise<Record<RoleGrant["on"], string>> {
  const workspaceId = workspaceResourceId(input.workspace);
  if (input.identityType === "SystemAssigned") return { workspace: workspaceId, containerRegistry: "", storageAccount: "" };
  const { containerRegistry, storageAccount } = await workspaceResources(deps, input.workspace);
  return { workspace: workspaceId, containerRegistry, storageAccount };
}

/** `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<name>`, as ARM names a hub. */
const WORKSPACE_ID = /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([-\w]{1,64})$/i;

/**
 * The container registry and storage account an endpoint of this workspace pulls its image and model
 * from. A Foundry hub-based project has none of its own: its hub's are "shared by all child projects"
 * (azure-ai-ml `Hub`/`Project`), and the project names its hub in `properties.hubResourceId` (with
 * `kind: "Project"`; api-version 2024-04-01 and later, so read at 2024-10-01: src/azure/mlOperations.ts).
 */
export async function workspaceResources(deps: ActivityDeps, workspace: GrantRolesInput["workspace"]): Promise<{ containerRegistry: string; storageAccount: string; hub: string | null }> {
  const ws = await getWorkspaceCurrent(deps.ml(workspace.subscriptionId), ...wsArgs(workspace));
  const hubId = ws.properties?.hubResourceId ?? null;
  let owner = ws;
  if (hubId || ws.kind?.toLowerCase() === "project") {
    const hub = hubId ? WORKSPACE_ID.exec(hubId) : null;
    if (!hub) throw new NonRetryableError(`workspace ${workspace.name} is a project without a readable hub id (${hubId ?? "none"})`, { code: "WorkspaceIncomplete" });
    const [, sub, rg, name] = hub as unknown as [string, string, string, string];
    owner = await getWorkspaceCurrent(deps.ml(sub), rg, name);
  }
  const containerRegistry = owner.properties?.containerRegistry;
  const storageAccount = owner.properties?.storageAccount;
  const holder = hubId ? `hub ${hubId.split("/").pop()} of project ${workspace.name}` : `workspace ${workspace.name}`;
  if (!containerRegistry || !storageAccount) {
    throw new RetryAfterError(`${holder} reports no ${containerRegistry ? "storage account" : "container registry"} yet`, { code: "WorkspaceIncomplete" });
  }
  return { containerRegistry, storageAccount, hub: hubId };
}
