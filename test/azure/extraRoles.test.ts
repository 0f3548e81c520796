import { describe, expect, it } from "vitest";
import { DeployRequest } from "../../src/contracts/deployRequest";
import { EXTRA_ROLES, RoleIds } from "../../src/domain/roles";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 13 item 4: a flow whose connection uses Microsoft Entra ID calls its target (e.g. Azure
 * OpenAI) with the endpoint identity, which needs a role there (Cognitive Services OpenAI User). The
 * simulator's flow answers 424 (container 400) until it has it; `endpoint.extraRoles` grants it, only
 * from a documented set and only on resources in FLOWDEPLOY_EXTRA_ROLE_SCOPES.
 */
const SUB = "00000000-1111-2222-3333-444444444444";
const AOAI = `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/aoai-flows`;
const FLOW = "azureml://datastores/workspaceblobstore/paths/promptflow/web-classification";
const scenario = {
  flows: [{ path: FLOW, connections: ["aoai"] }],
  connections: [{ name: "aoai", target: AOAI, role: "Cognitive Services OpenAI User" }],
  existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }],
};

function withExtraRoles(extraRoles: unknown) {
  const request = sampleRequest();
  (request.endpoint as Record<string, unknown>)["extraRoles"] = extraRoles;
  return request;
}

describe("roles for Entra ID connections", () => {
  it("without the role the smoke test fails on the connection and live traffic stays", async () => {
    const run = await deploy({ scenario });
    expect(run.notification.error).toMatchObject({ stage: "smokeTest", code: "SmokeTestFailed" });
    expect(run.notification.error!.message).toContain("Connection 'aoai'");
    expect(run.state.endpoints[0]!.traffic).toEqual({ blue: 100 });
  });

  it("endpoint.extraRoles grants it before the propagation wait, and the flow runs", async () => {
    const run = await deploy({ scenario, request: withExtraRoles([{ role: "Cognitive Services OpenAI User", scope: AOAI }]) });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    const grant = run.state.roleAssignments.find((a) => a.scope === AOAI);
    expect(grant?.roleDefinitionId).toMatch(new RegExp(`${EXTRA_ROLES["Cognitive Services OpenAI User"].guid}$`));
    // The wait counts from the last grant, extra ones included.
    const scores = run.requests.filter((r) => r.operation === "score");
    expect(Date.parse(scores[0]!.time) - Date.parse(grant!.createdOn)).toBeGreaterThanOrEqual(15 * 60_000);
  });

  it("a scope outside FLOWDEPLOY_EXTRA_ROLE_SCOPES is rejected before any Azure call, naming the field", async () => {
    const run = await deploy({ scenario, request: withExtraRoles([{ role: "Cognitive Services OpenAI User", scope: AOAI }]), policy: { extraRoleScopes: [] } });
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { code: "ExtraRoleScopeNotAllowed", message: expect.stringContaining("endpoint.extraRoles[0].scope") } });
    expect(run.requests).toHaveLength(0);
    const allowed = await deploy({ scenario, request: withExtraRoles([{ role: "Cognitive Services OpenAI User", scope: AOAI }]), policy: { extraRoleScopes: [AOAI.toLowerCase()] } });
    expect(allowed.notification.outcome).toBe("Succeeded");
  });

  it("a user-assigned identity also gets AzureML Metrics Writer on the workspace", async () => {
    const identityId = `/subscriptions/${SUB}/resourceGroups/rg-promptflow/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-id`;
    const request = sampleRequest();
    request.endpoint.identity = { type: "UserAssigned", resourceId: identityId };
    const run = await deploy({ request, scenario: { userAssignedIdentities: [{ id: identityId }] } });
    expect(run.notification.outcome).toBe("Succeeded");
    const writer = run.state.roleAssignments.find((a) => a.roleDefinitionId.endsWith(RoleIds.metricsWriter));
    expect(writer?.scope).toMatch(/\/workspaces\/ws-promptflow$/);
  });
});

describe("endpoint.extraRoles in the contract", () => {
  const parse = (extraRoles: unknown) => DeployRequest.safeParse(withExtraRoles(extraRoles));
  it.each([
    ["a role outside the documented set", [{ role: "Owner", scope: AOAI }], "endpoint.extraRoles.0.role", "one of"],
    ["a role on the wrong kind of resource", [{ role: "Search Index Data Reader", scope: AOAI }], "endpoint.extraRoles.0.scope", "Microsoft.Search/searchServices"],
    ["a scope that is not one resource", [{ role: "Cognitive Services OpenAI User", scope: `/subscriptions/${SUB}/resourceGroups/rg-ai` }], "endpoint.extraRoles.0.scope", "ARM id of one resource"],
    ["a scope with path tricks", [{ role: "Cognitive Services OpenAI User", scope: `${AOAI}/../x` }], "endpoint.extraRoles.0.scope", "ARM id of one resource"],
    ["eleven roles", Array.from({ length: 11 }, () => ({ role: "Cognitive Services OpenAI User", scope: AOAI })), "endpoint.extraRoles", "at most 10"],
  ])("refuses %s", (_label, extraRoles, path, message) => {
    const r = parse(extraRoles);
    expect(r.success).toBe(false);
    expect(r.error!.issues.find((i) => i.path.join(".") === path)?.message).toContain(message);
  });
});
