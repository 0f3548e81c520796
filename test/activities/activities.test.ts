import { afterEach, describe, expect, it } from "vitest";
import type { EnsureEndpointInput } from "../../src/contracts/activities";
import { PipelineError } from "../../src/errors";
import { RoleIds } from "../../src/domain/roles";
import { advanceMinutes, simWorkspace, startActivityHarness, type ActivityHarness } from "../support/activityHarness";
import { sampleRequest } from "../support/samples";

const request = sampleRequest();
const workspace = request.workspace as EnsureEndpointInput["workspace"];
const endpointSpec = request.endpoint as EnsureEndpointInput["endpoint"];
const uami = {
  type: "UserAssigned" as const,
  resourceId: "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-identity",
  clientId: "11111111-2222-3333-4444-555555555555",
  principalId: "66666666-7777-8888-9999-000000000000",
};

let h: ActivityHarness;
afterEach(async () => {
  await h?.close();
});

async function failure(p: Promise<unknown>): Promise<PipelineError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineError);
    return err as PipelineError;
  }
  throw new Error("expected the activity to fail");
}

/** Creates the endpoint and waits (virtually) until it is provisioned. */
async function provisionedEndpoint(spec = endpointSpec) {
  await h.activities.ensureEndpoint({ workspace, endpoint: spec, tags: { "flowdeploy.requestId": "r1" } });
  advanceMinutes(h, 3);
  return h.activities.getEndpointState({ workspace, endpointName: spec.name });
}

describe("endpoint activities", () => {
  it("start the create and return at once; the state read later shows the identity and scoring URI", async () => {
    h = await startActivityHarness();
    const started = await h.activities.ensureEndpoint({ workspace, endpoint: endpointSpec, tags: { "flowdeploy.requestId": "r1" } });
    expect(started).toMatchObject({ existed: false, provisioningState: "Creating", traffic: {} });
    expect(started.operationUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect((await h.activities.getEndpointState({ workspace, endpointName: "web-classify" })).provisioningState).toBe("Creating");
    expect(h.sim.requestCounts()["onlineEndpoints.createOrUpdate"]).toBe(1);
    // The endpoint PUT is the initial request only (src/azure/mlOperations.ts): no activity polls the
    // operation; the orchestrator does that on durable timers.
    expect(h.sim.requestCounts()["operationStatus.get"] ?? 0).toBe(0);
    // At the api-version that has mirrorTraffic and publicNetworkAccess (2024-10-01).
    expect(h.sim.requests().filter((r) => r.operation.startsWith("onlineEndpoints.")).map((r) => r.apiVersion)).toEqual(["2024-10-01", "2024-10-01", "2024-10-01"]);

    advanceMinutes(h, 3);
    const ready = await h.activities.getEndpointState({ workspace, endpointName: "web-classify", operationUrl: started.operationUrl });
    expect(ready.provisioningState).toBe("Succeeded");
    expect(ready.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ready.scoringUri).toBe(h.sim.scoringUri("web-classify"));
    const ep = h.sim.state().endpoints[0]!;
    expect(ep.authMode).toBe("Key");
    expect(ep.identity.type).toBe("SystemAssigned");
  });

  it("reuse an existing endpoint without touching its traffic (idempotent re-run: one PUT)", async () => {
    h = await startActivityHarness({ existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] });
    const first = await h.activities.ensureEndpoint({ workspace: simWorkspace(h), endpoint: endpointSpec, tags: {} });
    const second = await h.activities.ensureEndpoint({ workspace: simWorkspace(h), endpoint: endpointSpec, tags: {} });
    expect(first).toEqual(second);
    expect(first).toMatchObject({ existed: true, provisioningState: "Succeeded", traffic: { blue: 100 } });
    expect(h.sim.requestCounts()["onlineEndpoints.createOrUpdate"] ?? 0).toBe(0);
    expect(h.sim.state().endpoints[0]!.traffic).toEqual({ blue: 100 });
  });

  it("refuse to reuse an endpoint whose auth mode differs", async () => {
    h = await startActivityHarness();
    await provisionedEndpoint();
    const err = await failure(h.activities.ensureEndpoint({ workspace, endpoint: { ...endpointSpec, authMode: "aml_token" }, tags: {} }));
    expect(err).toMatchObject({ code: "EndpointConflict", retryable: false });
  });

  it("surface throttling as retryable once the SDK's own retries are spent", async () => {
    h = await startActivityHarness({ faults: [{ op: "onlineEndpoints.get", status: 429, retryAfterSeconds: 0, times: 10 }] });
    const err = await failure(h.activities.ensureEndpoint({ workspace, endpoint: endpointSpec, tags: {} }));
    expect(err).toMatchObject({ retryable: true, status: 429 });
    // 1 try + 3 SDK retries (the harness' retry policy).
    expect(h.sim.requestCounts()["onlineEndpoints.get"]).toBe(4);
  });

  it("recover from a short 429 burst inside the SDK (Retry-After honoured)", async () => {
    h = await startActivityHarness({ faults: [{ op: "onlineEndpoints.get", status: 429, retryAfterSeconds: 0, times: 2 }] });
    const started = await h.activities.ensureEndpoint({ workspace, endpoint: endpointSpec, tags: {} });
    expect(started.provisioningState).toBe("Creating");
    expect(h.sim.requests({ operation: "onlineEndpoints.get" }).map((r) => r.status)).toEqual([429, 429, 404]);
  });
});

describe("grantEndpointRoles", () => {
  it("grants the secrets reader to a system-assigned identity, once, with principalType ServicePrincipal", async () => {
    h = await startActivityHarness();
    const ep = await provisionedEndpoint();
    const input = { workspace, identityType: "SystemAssigned" as const, principalId: ep.principalId! };
    const first = await h.activities.grantEndpointRoles(input);
    expect(first.assignments).toHaveLength(1);
    expect(first.assignments[0]).toMatchObject({ roleDefinitionGuid: RoleIds.connectionSecretsReader, created: true });
    expect(first.grantedAt).toBe(h.clock.now().toISOString());

    advanceMinutes(h, 1);
    const again = await h.activities.grantEndpointRoles(input);
    expect(again.grantedAt).toBe(first.grantedAt);
    const assignments = h.sim.state().roleAssignments;
    expect(assignments).toHaveLength(1);
    expect(assignments[0]).toMatchObject({ principalId: ep.principalId, principalType: "ServicePrincipal", scope: expect.stringMatching(/workspaces\/ws-promptflow$/) });
  });

  it("grants AcrPull and Storage Blob Data Reader on the workspace's registry and storage to a user-assigned identity", async () => {
    h = await startActivityHarness();
    const result = await h.activities.grantEndpointRoles({ workspace, identityType: "UserAssigned", principalId: uami.principalId });
    const byRole = Object.fromEntries(h.sim.state().roleAssignments.map((a) => [a.roleDefinitionId.split("/").pop(), a.scope]));
    expect(result.assignments).toHaveLength(4);
    expect(byRole[RoleIds.acrPull]).toMatch(/Microsoft\.ContainerRegistry\/registries\//);
    expect(byRole[RoleIds.storageBlobDataReader]).toMatch(/Microsoft\.Storage\/storageAccounts\//);
    expect(byRole[RoleIds.connectionSecretsReader]).toMatch(/workspaces\/ws-promptflow$/);
    expect(byRole[RoleIds.metricsWriter]).toMatch(/workspaces\/ws-promptflow$/);
  });

  it("counts 409 RoleAssignmentExists (same role under another name) as granted, at the existing assignment's time", async () => {
    h = await startActivityHarness();
    const ep = await provisionedEndpoint();
    const authzCreatedAt = h.clock.now().toISOString();
    // Someone granted the same role by hand under another name.
    const res = await fetchSim(h, "PUT", `${workspaceIdOf()}/providers/Microsoft.Authorization/roleAssignments/0f0f0f0f-0000-4000-8000-000000000001?api-version=2022-04-01`, {
      properties: { roleDefinitionId: `/subscriptions/${workspace.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${RoleIds.connectionSecretsReader}`, principalId: ep.principalId, principalType: "ServicePrincipal" },
    });
    expect(res).toBe(201);
    advanceMinutes(h, 5);
    const result = await h.activities.grantEndpointRoles({ workspace, identityType: "SystemAssigned", principalId: ep.principalId! });
    expect(result.assignments[0]).toMatchObject({ created: false, name: "0f0f0f0f-0000-4000-8000-000000000001" });
    expect(result.grantedAt).toBe(authzCreatedAt);
    expect(h.sim.state().roleAssignments).toHaveLength(1);
  });

  it("treats PrincipalNotFound (identity not replicated yet) as retryable with a wait", async () => {
    h = await startActivityHarness({ faults: [{ op: "roleAssignments.create", status: 400, code: "PrincipalNotFound", times: 1 }] });
    const err = await failure(h.activities.grantEndpointRoles({ workspace, identityType: "UserAssigned", principalId: uami.principalId }));
    expect(err).toMatchObject({ code: "PrincipalNotFound", retryable: true, retryAfterSeconds: 10 });
    expect((await h.activities.grantEndpointRoles({ workspace, identityType: "UserAssigned", principalId: uami.principalId })).assignments).toHaveLength(4);
  });
});

function workspaceIdOf(): string {
  return `/subscriptions/${workspace.subscriptionId}/resourceGroups/${workspace.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${workspace.name}`;
}

async function fetchSim(h: ActivityHarness, method: string, path: string, body: unknown): Promise<number> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(`${h.sim.url}${path}`, { method, ca: h.sim.caCertPem, headers: { Authorization: "Bearer t", "Content-Type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("registerModel", () => {
  const flow = request.flow;

  it("registers the flow folder as a custom model with the prompt flow properties, idempotently", async () => {
    h = await startActivityHarness();
    const first = await h.activities.registerModel({ workspace, requestId: "req-A", flow });
    const again = await h.activities.registerModel({ workspace, requestId: "req-A", flow });
    expect(first).toMatchObject({ name: "web-classification", version: "1", created: true });
    // The retry of the same request finds the version that request registered: still registered by it.
    expect(again).toEqual(first);
    const models = h.sim.state().models;
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ modelUri: flow.path.replace("azureml://", `azureml://subscriptions/${workspace.subscriptionId}/resourcegroups/${workspace.resourceGroup}/workspaces/${workspace.name}/`), properties: expect.objectContaining({ "azureml.promptflow.source_flow_id": "web-classification" }) });
    const next = await h.activities.registerModel({ workspace, requestId: "req-B", flow });
    expect(next.version).toBe("2");
  });

  it("records chat mode and the chat input/output for chat flows", async () => {
    h = await startActivityHarness();
    await h.activities.registerModel({ workspace, requestId: "req-chat", flow: { name: "chat-flow", path: "azureml://datastores/x/paths/chat", mode: "chat", chatInput: "question", chatOutput: "answer" } });
    expect(h.sim.state().models[0]!.properties).toMatchObject({ "azureml.promptflow.mode": "chat", "azureml.promptflow.chat_input": "question", "azureml.promptflow.chat_output": "answer" });
  });

  it("resolves a registered model, and fails clearly when it does not exist", async () => {
    h = await startActivityHarness({ models: [{ name: "web-classification-model", version: "3" }] });
    const ws = simWorkspace(h);
    expect(await h.activities.registerModel({ workspace: ws, requestId: "r", model: { name: "web-classification-model", version: "3" } })).toMatchObject({ version: "3", created: false });
    const err = await failure(h.activities.registerModel({ workspace: ws, requestId: "r", model: { name: "web-classification-model", version: "9" } }));
    expect(err).toMatchObject({ code: "ModelNotFound", retryable: false });
    expect(err.message).toBe(`model web-classification-model:9 does not exist in workspace ${ws.name}`);
  });
});
