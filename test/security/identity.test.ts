import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Threat: whoever can enqueue a request names the principal that receives the endpoint roles
 * (Connection Secrets Reader, AcrPull, Storage Blob Data Reader). Defence: the principal and client id
 * of a user-assigned identity come from Azure (UserAssignedIdentities_Get), the identity must be
 * listed in FLOWDEPLOY_ALLOWED_IDENTITIES, and a request naming other ids is refused before anything
 * is granted. docs/security.md, rows I1-I3.
 */
const IDENTITY = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-identity";
const REAL = { principalId: "5c0a4e2d-9b1f-4f7e-8a35-6d2c1b0e9f41", clientId: "0f3e2d1c-4b5a-4697-8877-665544332211" };
const ATTACKER_PRINCIPAL = "deadbeef-0000-4000-8000-00000000beef";
const scenario = { userAssignedIdentities: [{ id: IDENTITY, ...REAL }] };

/** A chat flow on a user-assigned identity, written from the docs: no principal or client id given. */
function chatRequestWithIdentity(identity: Record<string, unknown>): Record<string, any> {
  const r = sampleRequest();
  r.requestId = `uami-${Object.keys(identity).length}-${String(identity["principalId"] ?? "none").slice(0, 8)}`;
  r.flow = { name: "chat-with-docs", path: "azureml://datastores/workspaceblobstore/paths/promptflow/chat-with-docs", mode: "chat", chatInput: "question", chatOutput: "answer" };
  r.smokeTest = { input: { question: "What is flowdeploy?", chat_history: [] }, expectFields: ["answer"] };
  r.endpoint.identity = { type: "UserAssigned", resourceId: IDENTITY, ...identity };
  return r;
}

describe("a user-assigned identity's principal comes from Azure, not from the request", () => {
  it("I1: a request that names its own principal gets nothing: Failed with IdentityMismatch, no role assignment, no endpoint", async () => {
    const run = await deploy({ scenario, request: chatRequestWithIdentity({ principalId: ATTACKER_PRINCIPAL, clientId: REAL.clientId }) });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { stage: "roles", code: "IdentityMismatch" } });
    expect(run.notification.error!.message).toContain("endpoint.identity.principalId");
    expect(run.counts["roleAssignments.create"] ?? 0).toBe(0);
    expect(run.state.roleAssignments).toEqual([]);
    expect(run.counts["onlineEndpoints.createOrUpdate"] ?? 0).toBe(0);
    expect(run.counts["userAssignedIdentities.get"]).toBe(1);
  });

  it("I1: a wrong client id alone is refused too", async () => {
    const run = await deploy({ scenario, request: chatRequestWithIdentity({ clientId: "99999999-9999-4999-8999-999999999999" }) });
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { code: "IdentityMismatch" } });
    expect(run.state.roleAssignments).toEqual([]);
  });

  it("I2: a chat request that omits the ids deploys, granting roles only to the identity's real principal and running as its real client id", async () => {
    const run = await deploy({ scenario, request: chatRequestWithIdentity({}) });
    expect(run.notification, JSON.stringify(run.notification.error)).toMatchObject({ outcome: "Succeeded" });
    expect(run.state.roleAssignments.length).toBe(4);
    expect(new Set(run.state.roleAssignments.map((a) => a.principalId))).toEqual(new Set([REAL.principalId]));
    const deployment = run.state.endpoints.find((e) => e.name === "web-classify")!.deployments.find((d) => d.name === "green")!;
    expect(deployment.environmentVariables["AZURE_CLIENT_ID"]).toBe(REAL.clientId);
  });

  it("I2: a request that names the right ids is accepted (they are checked, not used)", async () => {
    const run = await deploy({ scenario, request: chatRequestWithIdentity({ ...REAL }) });
    expect(run.notification.outcome).toBe("Succeeded");
    expect(new Set(run.state.roleAssignments.map((a) => a.principalId))).toEqual(new Set([REAL.principalId]));
  });
});

describe("only identities in FLOWDEPLOY_ALLOWED_IDENTITIES may be attached", () => {
  it("I3: an identity not on the list is Rejected before any Azure call; the listed one (any casing) deploys", async () => {
    const other = await deploy({ scenario, request: chatRequestWithIdentity({}), policy: { allowedIdentities: parseConfig({ FLOWDEPLOY_ALLOWED_IDENTITIES: IDENTITY.replace("ep-identity", "someone-else") }).allowedIdentities } });
    expect(other.notification).toMatchObject({ outcome: "Rejected", error: { code: "IdentityNotAllowed" } });
    expect(other.notification.error!.message).toContain("endpoint.identity.resourceId");
    expect(other.requests).toHaveLength(0);

    const listed = await deploy({ scenario, request: chatRequestWithIdentity({}), policy: { allowedIdentities: parseConfig({ FLOWDEPLOY_ALLOWED_IDENTITIES: IDENTITY.toUpperCase() }).allowedIdentities } });
    expect(listed.notification.outcome).toBe("Succeeded");
  });

  it("I3: an empty setting allows no user-assigned identity (fails closed); system-assigned needs no listing", async () => {
    expect(parseConfig({}).allowedIdentities).toEqual([]);
    const uami = await deploy({ scenario, request: chatRequestWithIdentity({}), policy: { allowedIdentities: [] } });
    expect(uami.notification).toMatchObject({ outcome: "Rejected", error: { code: "IdentityNotAllowed" } });
    const system = await deploy({ policy: { allowedIdentities: [] } });
    expect(system.notification.outcome).toBe("Succeeded");
  });
});

describe("attaching a user-assigned identity needs Managed Identity Operator on it (issue 13, item 1)", () => {
  it("without assign/action on the identity, ARM's 403 LinkedAuthorizationFailed ends the endpoint stage; with it, the deployment succeeds", async () => {
    const denied = await deploy({ scenario: { ...scenario, callerAssignableIdentities: [] }, request: chatRequestWithIdentity({}) });
    expect(denied.notification).toMatchObject({ outcome: "Failed", error: { stage: "endpoint", code: "LinkedAuthorizationFailed" } });
    expect(denied.notification.error!.message).toContain("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action");
    expect(denied.requests.filter((r) => r.operation === "onlineEndpoints.createOrUpdate").map((r) => r.status)).toEqual([403]);
    expect(denied.counts["onlineDeployments.createOrUpdate"] ?? 0).toBe(0);
    const allowed = await deploy({ scenario: { ...scenario, callerAssignableIdentities: [IDENTITY.toUpperCase()] }, request: chatRequestWithIdentity({}) });
    expect(allowed.notification.outcome).toBe("Succeeded");
  });
});
