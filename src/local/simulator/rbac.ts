import { ArmError } from "./armErrors";
import { BUILTIN_ROLES, findBuiltinRole, roleGuidFromDefinitionId, type BuiltinRole } from "./builtinRoles";
import { empty, json, type SimResponse } from "./httpResponse";
import { isGuid, normalizePath, resourceKey, scopeCovers } from "./ids";
import { isRecord, optionalString } from "./json";
import { requireParam, type RequestContext } from "./requestContext";
import type { RoleAssignmentRecord, SimState } from "./stateStore";
import { SIMULATOR_ACTOR } from "./systemData";

/**
 * roleAssignments (create / get / delete / listForScope) and roleDefinitions (get / list) at ANY
 * scope: `/{scope}/providers/Microsoft.Authorization/roleAssignments/{name}` (AUTH/2022-04-01), so
 * the registry and storage account of a workspace work as well as the workspace itself.
 * Azure behaviours reproduced (README wire facts (b), (c)):
 * - same name, same principal + role → 200 with the existing assignment (createdOn unchanged);
 * - same name, different principal or role → 400 RoleAssignmentUpdateNotPermitted;
 * - same principal + role + scope under another name → 409 RoleAssignmentExists;
 * - a principal created moments ago and no principalType → 400 PrincipalNotFound.
 */

const ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments";
const DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions";

function scopeOf(ctx: RequestContext): string {
  return normalizePath(ctx.params["scope"] ?? "/");
}

function assignmentId(scope: string, name: string): string {
  return `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

/** The subscription a scope lies in, if any (role definition ids are subscription-relative). */
function subscriptionOf(scope: string): string | undefined {
  const m = /^\/subscriptions\/([^/]+)/i.exec(scope);
  return m?.[1];
}

export function assignmentView(ra: RoleAssignmentRecord): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    // Fixtures: roleDefinitionId comes back without the /subscriptions/{sub} prefix; scope with a leading "/".
    roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${ra.roleGuid}`,
    principalId: ra.principalId,
    principalType: ra.principalType,
    scope: ra.scope,
    createdOn: ra.createdOn,
    updatedOn: ra.updatedOn,
    createdBy: ra.createdBy,
    updatedBy: ra.updatedBy,
  };
  if (ra.description !== undefined) properties["description"] = ra.description;
  if (ra.condition !== undefined) properties["condition"] = ra.condition;
  if (ra.conditionVersion !== undefined) properties["conditionVersion"] = ra.conditionVersion;
  return { properties, id: ra.id, type: ASSIGNMENT_TYPE, name: ra.name };
}

function principalNotFound(state: SimState, principalId: string): ArmError {
  // troubleshooting.md: PrincipalNotFound while a new principal replicates; principalType avoids it.
  return new ArmError(
    400,
    "PrincipalNotFound",
    `Principal ${principalId.replace(/-/g, "")} does not exist in the directory ${state.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.`,
  );
}

/** Whether a principal the simulator made can be assigned a role now (see module comment). */
function checkPrincipal(state: SimState, principalId: string, principalType: string | undefined, now: Date): void {
  const principal = state.principals[principalId];
  if (!principal) return; // a user or group from outside: the simulator cannot know, so accept it
  if (principal.existsFrom === null) throw principalNotFound(state, principalId);
  const existsFrom = new Date(principal.existsFrom).getTime();
  if (now.getTime() < existsFrom) throw principalNotFound(state, principalId);
  const replicated = existsFrom + state.latency.principalReplicationSeconds * 1000;
  if (principalType === undefined && now.getTime() < replicated) throw principalNotFound(state, principalId);
}

export function createRoleAssignment(ctx: RequestContext): SimResponse {
  const { state, now } = ctx;
  const scope = scopeOf(ctx);
  const name = requireParam(ctx, "roleAssignmentName");
  if (!isGuid(name)) {
    throw new ArmError(400, "InvalidRoleAssignmentId", `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
  }
  const props = isRecord(ctx.body) ? ctx.body["properties"] : undefined;
  if (!isRecord(props)) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: properties is required.");
  const roleDefinitionId = optionalString(props["roleDefinitionId"]);
  const principalId = optionalString(props["principalId"]);
  if (!roleDefinitionId) throw new ArmError(400, "InvalidRequestContent", "properties.roleDefinitionId is required.");
  if (!principalId || !isGuid(principalId)) throw new ArmError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.");
  const roleGuid = roleGuidFromDefinitionId(roleDefinitionId);
  if (!findBuiltinRole(roleGuid)) {
    throw new ArmError(400, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${roleGuid}' does not exist.`);
  }
  const principalType = optionalString(props["principalType"]);
  const id = assignmentId(scope, name);
  const existing = state.roleAssignments[resourceKey(id)];
  if (existing) {
    if (existing.principalId.toLowerCase() !== principalId.toLowerCase() || existing.roleGuid !== roleGuid) {
      throw new ArmError(400, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
    }
    return json(200, assignmentView(existing));
  }
  const duplicate = Object.values(state.roleAssignments).find(
    (ra) => ra.scope.toLowerCase() === scope.toLowerCase() && ra.principalId.toLowerCase() === principalId.toLowerCase() && ra.roleGuid === roleGuid,
  );
  if (duplicate) {
    throw new ArmError(409, "RoleAssignmentExists", `The role assignment already exists. The ID of the existing role assignment is ${duplicate.name.replace(/-/g, "")}.`);
  }
  checkPrincipal(state, principalId, principalType, now);
  const known = state.principals[principalId];
  const record: RoleAssignmentRecord = {
    id,
    name,
    scope,
    roleGuid,
    principalId,
    // Azure resolves the type from the directory when it is not given; simulator principals are service principals.
    principalType: principalType ?? (known ? "ServicePrincipal" : "User"),
    createdOn: now.toISOString(),
    updatedOn: now.toISOString(),
    createdBy: SIMULATOR_ACTOR,
    updatedBy: SIMULATOR_ACTOR,
  };
  const description = optionalString(props["description"]);
  if (description !== undefined) record.description = description;
  const condition = optionalString(props["condition"]);
  if (condition !== undefined) record.condition = condition;
  const conditionVersion = optionalString(props["conditionVersion"]);
  if (conditionVersion !== undefined) record.conditionVersion = conditionVersion;
  state.roleAssignments[resourceKey(id)] = record;
  return json(201, assignmentView(record));
}

export function getRoleAssignment(ctx: RequestContext): SimResponse {
  const name = requireParam(ctx, "roleAssignmentName");
  const ra = ctx.state.roleAssignments[resourceKey(assignmentId(scopeOf(ctx), name))];
  if (!ra) throw new ArmError(404, "RoleAssignmentNotFound", `The role assignment '${name}' is not found.`);
  return json(200, assignmentView(ra));
}

/** RoleAssignments_Delete: 200 with the deleted assignment, or 204 when there was none. */
export function deleteRoleAssignment(ctx: RequestContext): SimResponse {
  const key = resourceKey(assignmentId(scopeOf(ctx), requireParam(ctx, "roleAssignmentName")));
  const ra = ctx.state.roleAssignments[key];
  if (!ra) return empty(204);
  delete ctx.state.roleAssignments[key];
  return json(200, assignmentView(ra));
}

/**
 * ListForScope: assignments at, above and below the scope; `$filter=atScope()` keeps at/above;
 * `$filter=principalId eq '{id}'` or `assignedTo('{id}')` keeps one principal.
 */
export function listRoleAssignments(ctx: RequestContext): SimResponse {
  const scope = scopeOf(ctx);
  const filter = ctx.query.get("$filter") ?? "";
  const atScope = /atScope\(\)/i.test(filter);
  const principal = /principalId\s+eq\s+'([^']+)'/i.exec(filter)?.[1] ?? /assignedTo\('([^']+)'\)/i.exec(filter)?.[1];
  const value = Object.values(ctx.state.roleAssignments)
    .filter((ra) => scopeCovers(ra.scope, scope) || (!atScope && scopeCovers(scope, ra.scope)))
    .filter((ra) => principal === undefined || ra.principalId.toLowerCase() === principal.toLowerCase())
    .map(assignmentView);
  return json(200, { value });
}

function definitionView(role: BuiltinRole, scope: string): Record<string, unknown> {
  const sub = subscriptionOf(scope);
  return {
    properties: {
      roleName: role.roleName,
      type: "BuiltInRole",
      description: role.description,
      assignableScopes: ["/"],
      permissions: [
        { actions: [...role.actions], notActions: [...role.notActions], dataActions: [...role.dataActions], notDataActions: [...role.notDataActions] },
      ],
    },
    id: `${sub ? `/subscriptions/${sub}` : ""}/providers/Microsoft.Authorization/roleDefinitions/${role.guid}`,
    type: DEFINITION_TYPE,
    name: role.guid,
  };
}

export function getRoleDefinition(ctx: RequestContext): SimResponse {
  const id = requireParam(ctx, "roleDefinitionId");
  const role = findBuiltinRole(id);
  if (!role) throw new ArmError(404, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${id}' does not exist.`);
  return json(200, definitionView(role, scopeOf(ctx)));
}

export function listRoleDefinitions(ctx: RequestContext): SimResponse {
  const filter = ctx.query.get("$filter") ?? "";
  const roleName = /roleName\s+eq\s+'([^']+)'/i.exec(filter)?.[1];
  const roles = BUILTIN_ROLES.filter((r) => roleName === undefined || r.roleName.toLowerCase() === roleName.toLowerCase());
  return json(200, { value: roles.map((r) => definitionView(r, scopeOf(ctx))) });
}

/**
 * Whether one of `principalIds` holds `roleGuid` over `resourceId` (directly or inherited from a
 * parent scope) with an assignment made at or before `effectiveBy`.
 */
export function hasRoleOver(state: SimState, principalIds: readonly string[], roleGuid: string, resourceId: string, effectiveBy: Date): boolean {
  const principals = new Set(principalIds.map((p) => p.toLowerCase()));
  return Object.values(state.roleAssignments).some(
    (ra) =>
      ra.roleGuid === roleGuid &&
      principals.has(ra.principalId.toLowerCase()) &&
      scopeCovers(ra.scope, resourceId) &&
      new Date(ra.createdOn).getTime() <= effectiveBy.getTime(),
  );
}
