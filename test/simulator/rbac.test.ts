import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import {
  ACR_PULL_ROLE_ID,
  BUILTIN_ROLES,
  CONNECTION_SECRETS_READER_ROLE_ID,
  containerRegistryId,
  startSimulator,
  storageAccountId,
  STORAGE_BLOB_DATA_READER_ROLE_ID,
  workspaceId,
  type Simulator,
} from "../../src/local/simulator";
import { createEndpoint } from "./support/flows";
import { AUTHZ, clientsFor, raw, roleDefinitionId, sdkError, type Clients } from "./support/harness";

/** roleAssignments / roleDefinitions through the real @azure/arm-authorization client, at any scope. */
describe("RBAC", () => {
  const clock = new VirtualClock("2026-06-01T00:00:00Z");
  let sim: Simulator;
  let c: Clients;
  let principalId: string;

  beforeAll(async () => {
    sim = await startSimulator({ clock });
    c = clientsFor(sim);
    const ep = await createEndpoint(c, clock, "rbac-ep");
    principalId = ep.identity?.principalId ?? "";
  });
  afterAll(async () => sim.close());

  const csr = () => roleDefinitionId(c.ws, CONNECTION_SECRETS_READER_ROLE_ID);

  it("a just-created identity without principalType gets PrincipalNotFound; with ServicePrincipal it works", async () => {
    const withoutType = await sdkError(
      c.authz.roleAssignments.create(workspaceId(c.ws), randomUUID(), { roleDefinitionId: csr(), principalId }),
    );
    expect(withoutType).toMatchObject({ statusCode: 400, code: "PrincipalNotFound" });
    expect(withoutType.message).toContain("principalType");

    const name = randomUUID();
    const ok = await c.authz.roleAssignments.create(workspaceId(c.ws), name, { roleDefinitionId: csr(), principalId, principalType: "ServicePrincipal" });
    expect(ok).toMatchObject({ name, principalId, principalType: "ServicePrincipal", scope: workspaceId(c.ws) });
    expect(ok.roleDefinitionId).toBe(`/providers/Microsoft.Authorization/roleDefinitions/${CONNECTION_SECRETS_READER_ROLE_ID}`);
    expect(ok.createdOn?.toISOString()).toBe(clock.now().toISOString());
  });

  it("after the replication window an assignment without principalType works", async () => {
    clock.advanceBy(60_000);
    const ra = await c.authz.roleAssignments.create(storageAccountId(c.ws), randomUUID(), {
      roleDefinitionId: roleDefinitionId(c.ws, STORAGE_BLOB_DATA_READER_ROLE_ID),
      principalId,
    });
    expect(ra.principalType).toBe("ServicePrincipal");
  });

  it("the same role for the same principal at the same scope under another name is 409 RoleAssignmentExists", async () => {
    const scope = containerRegistryId(c.ws);
    const name = randomUUID();
    const first = await c.authz.roleAssignments.create(scope, name, { roleDefinitionId: roleDefinitionId(c.ws, ACR_PULL_ROLE_ID), principalId, principalType: "ServicePrincipal" });
    const dup = await sdkError(
      c.authz.roleAssignments.create(scope, randomUUID(), { roleDefinitionId: roleDefinitionId(c.ws, ACR_PULL_ROLE_ID), principalId, principalType: "ServicePrincipal" }),
    );
    expect(dup).toMatchObject({ statusCode: 409, code: "RoleAssignmentExists" });
    expect(dup.message).toContain(name.replace(/-/g, ""));

    // The same name again: 200 with the original assignment, createdOn unchanged (propagation counts from it).
    clock.advanceBy(5_000);
    const again = await c.authz.roleAssignments.create(scope, name, { roleDefinitionId: roleDefinitionId(c.ws, ACR_PULL_ROLE_ID), principalId, principalType: "ServicePrincipal" });
    expect(again.createdOn?.getTime()).toBe(first.createdOn?.getTime());
    expect(sim.requests({ operation: "roleAssignments.create" }).at(-1)?.status).toBe(200);

    const changed = await sdkError(
      c.authz.roleAssignments.create(scope, name, { roleDefinitionId: roleDefinitionId(c.ws, STORAGE_BLOB_DATA_READER_ROLE_ID), principalId, principalType: "ServicePrincipal" }),
    );
    expect(changed).toMatchObject({ statusCode: 400, code: "RoleAssignmentUpdateNotPermitted" });
  });

  it("gets, lists with filters and deletes assignments at any scope", async () => {
    const ws = workspaceId(c.ws);
    const all = [];
    for await (const ra of c.authz.roleAssignments.listForScope(ws)) all.push(ra);
    expect(all.map((r) => r.roleDefinitionId?.split("/").pop())).toContain(CONNECTION_SECRETS_READER_ROLE_ID);

    // A subscription-level assignment shows at the workspace (inherited) but not below-scope ones with atScope().
    const other = randomUUID();
    await c.authz.roleAssignments.create(`/subscriptions/${c.ws.subscriptionId}`, randomUUID(), { roleDefinitionId: csr(), principalId: other, principalType: "User" });
    const atWorkspace = [];
    for await (const ra of c.authz.roleAssignments.listForScope(ws, { filter: "atScope()" })) atWorkspace.push(ra.principalId);
    expect(atWorkspace).toContain(other);
    const atSubscription = [];
    for await (const ra of c.authz.roleAssignments.listForScope(`/subscriptions/${c.ws.subscriptionId}`, { filter: "atScope()" })) atSubscription.push(ra.principalId);
    expect(atSubscription).toEqual([other]);
    const mine = [];
    for await (const ra of c.authz.roleAssignments.listForScope(`/subscriptions/${c.ws.subscriptionId}`, { filter: `principalId eq '${principalId}'` })) mine.push(ra.scope);
    expect(mine.sort()).toEqual([containerRegistryId(c.ws), storageAccountId(c.ws), ws].sort());

    const name = all[0]?.name ?? "";
    const got = await c.authz.roleAssignments.get(ws, name);
    expect(got.id).toBe(`${ws}/providers/Microsoft.Authorization/roleAssignments/${name}`);
    const byId = await c.authz.roleAssignments.getById(got.id ?? "");
    expect(byId.name).toBe(name);
    const deleted = await c.authz.roleAssignments.delete(ws, name);
    expect(deleted.name).toBe(name);
    expect(await sdkError(c.authz.roleAssignments.get(ws, name))).toMatchObject({ statusCode: 404, code: "RoleAssignmentNotFound" });
    await c.authz.roleAssignments.delete(ws, name);
    expect(sim.requests({ operation: "roleAssignments.delete" }).map((r) => r.status)).toEqual([200, 204]);
  });

  it("rejects assignment names that are not GUIDs and unknown roles", async () => {
    const notGuid = await raw(sim, "PUT", `${workspaceId(c.ws)}/providers/Microsoft.Authorization/roleAssignments/not-a-guid${AUTHZ}`, {
      body: { properties: { roleDefinitionId: csr(), principalId } },
    });
    expect((notGuid.body as { error: { code: string } }).error.code).toBe("InvalidRoleAssignmentId");
    const unknownRole = await sdkError(
      c.authz.roleAssignments.create(workspaceId(c.ws), randomUUID(), { roleDefinitionId: roleDefinitionId(c.ws, randomUUID()), principalId, principalType: "ServicePrincipal" }),
    );
    expect(unknownRole).toMatchObject({ statusCode: 400, code: "RoleDefinitionDoesNotExist" });
  });

  it("roleDefinitions.get knows the five built-in roles of the pipeline", async () => {
    for (const role of BUILTIN_ROLES) {
      const def = await c.authz.roleDefinitions.get(workspaceId(c.ws), role.guid);
      expect(def).toMatchObject({ name: role.guid, roleName: role.roleName, roleType: "BuiltInRole" });
    }
    const byId = await c.authz.roleDefinitions.getById(roleDefinitionId(c.ws, ACR_PULL_ROLE_ID));
    expect(byId.roleName).toBe("AcrPull");
    expect(byId.id).toBe(roleDefinitionId(c.ws, ACR_PULL_ROLE_ID));
    expect(await sdkError(c.authz.roleDefinitions.get(workspaceId(c.ws), randomUUID()))).toMatchObject({ statusCode: 404 });
  });

  it("shows assignments with creation and effective times in the state", () => {
    const ra = sim.state().roleAssignments.find((r) => r.roleName === "AcrPull");
    expect(ra).toBeDefined();
    expect(new Date(ra?.effectiveAt ?? 0).getTime() - new Date(ra?.createdOn ?? 0).getTime()).toBe(900_000);
  });
});
