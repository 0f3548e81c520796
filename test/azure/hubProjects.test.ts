import { describe, expect, it } from "vitest";
import { RoleIds } from "../../src/domain/roles";
import { containerRegistryId, storageAccountId } from "../../src/local/simulator";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 13 item 6: a Foundry hub-based project has no registry or storage of its own; a user-assigned
 * endpoint identity needs AcrPull and Storage Blob Data Reader on the **hub's**. The simulator's
 * project GET names its hub (2024-10-01) and no registry or storage, and its deployments pull from the
 * hub's resources, failing without the roles there.
 */
const SUB = "00000000-1111-2222-3333-444444444444";
const identityId = `/subscriptions/${SUB}/resourceGroups/rg-promptflow/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-id`;
const hub = { subscriptionId: SUB, resourceGroup: "rg-hub", workspace: "hub-promptflow" };
const project = { subscriptionId: SUB, resourceGroup: "rg-promptflow", workspace: "ws-promptflow" };

function userAssignedRequest() {
  const request = sampleRequest();
  request.endpoint.identity = { type: "UserAssigned", resourceId: identityId };
  return request;
}

describe("hub-based projects", () => {
  it("grants AcrPull and Storage Blob Data Reader on the hub's registry and storage, and deploys", async () => {
    const run = await deploy({
      request: userAssignedRequest(),
      scenario: { userAssignedIdentities: [{ id: identityId }], projects: [{ name: "ws-promptflow", hub: { resourceGroup: "rg-hub", name: "hub-promptflow" } }] },
    });
    expect(run.notification.outcome).toBe("Succeeded");
    const scopeOf = (guid: string) => run.state.roleAssignments.find((a) => a.roleDefinitionId.endsWith(guid))?.scope;
    expect(scopeOf(RoleIds.acrPull)).toBe(containerRegistryId(hub));
    expect(scopeOf(RoleIds.storageBlobDataReader)).toBe(storageAccountId(hub));
    // Connections are read through the project itself.
    expect(scopeOf(RoleIds.connectionSecretsReader)).toMatch(/\/workspaces\/ws-promptflow$/);
    expect(containerRegistryId(hub)).not.toBe(containerRegistryId(project));
    expect(run.requests.filter((r) => r.operation === "workspaces.get" && r.path.includes("/workspaces/hub-promptflow")).length).toBeGreaterThan(0);
  });

  it("a plain workspace still uses its own registry and storage", async () => {
    const run = await deploy({ request: userAssignedRequest(), scenario: { userAssignedIdentities: [{ id: identityId }] } });
    expect(run.notification.outcome).toBe("Succeeded");
    expect(run.state.roleAssignments.find((a) => a.roleDefinitionId.endsWith(RoleIds.acrPull))?.scope).toBe(containerRegistryId(project));
  });
});
