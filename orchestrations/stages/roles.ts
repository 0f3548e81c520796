import type { GrantRolesInput, GrantRolesResult, ResolvedIdentity } from "../../src/contracts/activities";
import { targetKindOf } from "../../src/domain/targets";
import type { DeployRun } from "../deployRun";
import { callActivity, type Step } from "../steps";

/**
 * Stage `roles`: the endpoint's managed identity gets its roles on the workspace's resources. Role
 * assignments are left in place when a run fails: they are what the next run of the same endpoint
 * needs, and granting is idempotent (deterministic assignment names).
 */
export function* grantRoles(run: DeployRun, principalId: string): Step<GrantRolesResult> {
  const { ctx, request, retry } = run;
  return yield* run.record.stage("roles", () =>
    callActivity(ctx, "roles", "grantEndpointRoles", { workspace: request.workspace, identityType: request.endpoint.identity.type, principalId, ...grantedFor(request) }, retry),
  );
}

/** A user-assigned identity and the grant to it. */
export interface UserAssignedGrant {
  identity: ResolvedIdentity;
  grant: GrantRolesResult;
}

/**
 * A user-assigned identity exists before the endpoint: it is granted first, as Azure requires the
 * roles before the deployment is created, and the propagation clock starts sooner. Its principal and
 * client id are read from Azure, never taken from the request. Undefined for a system-assigned one.
 */
export function* grantUserAssignedIdentity(run: DeployRun): Step<UserAssignedGrant | undefined> {
  const { ctx, request, retry } = run;
  const { identity } = request.endpoint;
  if (identity.type !== "UserAssigned") return undefined;
  return yield* run.record.stage("roles", function* () {
    const resolved = yield* callActivity(ctx, "roles", "resolveIdentity", { resourceId: identity.resourceId, claimedPrincipalId: identity.principalId ?? null, claimedClientId: identity.clientId ?? null }, retry);
    const grant = yield* callActivity(ctx, "roles", "grantEndpointRoles", { workspace: request.workspace, identityType: "UserAssigned", principalId: resolved.principalId, ...grantedFor(request) }, retry);
    return { identity: resolved, grant };
  });
}

/** What the request's target needs granted beyond the identity's own roles. */
function grantedFor(request: DeployRun["request"]): Pick<GrantRolesInput, "extraRoles" | "target" | "agent"> {
  // A prompt flow's grant input stays as it was before agents (target "flow" is the default): histories of runs in flight replay unchanged.
  return {
    extraRoles: request.endpoint.extraRoles,
    ...(targetKindOf(request) === "agent" ? { target: "agent" as const } : {}),
    ...(request.agent ? { agent: { aiServices: request.agent.aiServices, ...(request.agent.keyVault ? { keyVault: request.agent.keyVault } : {}) } } : {}),
  };
}
