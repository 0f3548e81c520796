import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { CONNECTION_SECRETS_READER_ROLE_ID, startSimulator, workspaceId, type Simulator } from "../../src/local/simulator";
import { AUTHZ, fixtureBody, loadFixture, ML, raw, roleDefinitionId, shapeDiff, wsPath, type RawResponse } from "./support/harness";

/**
 * The simulator's answers against shared/fixtures/azure, field by field: the same keys with the same
 * casing and JSON types, recursively; and the LRO headers and status bodies of the recorded lifecycle.
 * Every allowance below names a documented difference (recorded service vs. spec example).
 */

interface RecordedEntry {
  Request: { Method: string; RequestUri: string };
  Response: { StatusCode: number; Headers: Record<string, string[]>; Content?: string };
}
const recorded = (loadFixture("recorded.onlineEndpointLifecycle.azure-powershell.json")["entries"] as RecordedEntry[]).map((e) => ({
  method: e.Request.Method,
  uri: e.Request.RequestUri,
  status: e.Response.StatusCode,
  headers: Object.fromEntries(Object.entries(e.Response.Headers).map(([k, v]) => [k.toLowerCase(), v[0] ?? ""])),
  body: e.Response.Content ? (JSON.parse(e.Response.Content) as unknown) : undefined,
}));
const recordedEndpointPut = recorded[0]!;
const recordedStatusDone = recorded[1]!;
const recordedDeploymentPut = recorded[3]!;
const recordedStatusRunning = recorded[4]!;
const recordedPatch = recorded[7]!;

const ENDPOINT_MAPS = ["properties.properties", "properties.traffic", "tags", "identity.userAssignedIdentities"];
const DEPLOYMENT_MAPS = ["properties.properties", "properties.environmentVariables", "tags", "identity.userAssignedIdentities"];

describe("simulator answers match the shared fixtures", () => {
  const clock = new VirtualClock("2026-04-01T08:00:00Z");
  let sim: Simulator;
  const ws = { subscriptionId: "00000000-1111-2222-3333-444444444444", resourceGroup: "test-rg", workspace: "my-aml-workspace" };
  const uai = `/subscriptions/${ws.subscriptionId}/resourceGroups/test-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/testuai`;
  const endpointPath = wsPath(ws, "/onlineEndpoints/fixture-ep");
  const deploymentPath = `${endpointPath}/deployments/blue`;
  let endpointPut: RawResponse;
  let deploymentPut: RawResponse;

  beforeAll(async () => {
    sim = await startSimulator({ clock, scenario: { polling: { locationRetryAfterSeconds: 10 } } });
    endpointPut = await raw(sim, "PUT", `${endpointPath}${ML}`, {
      body: {
        location: "eastus",
        kind: "Managed",
        tags: {},
        identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [uai]: {} } },
        properties: { description: "fixture endpoint", properties: { team: "ml" }, authMode: "AMLToken" },
        sku: { name: "Default", tier: "Free", size: "S1", family: "S", capacity: 1 },
      },
    });
  });
  afterAll(async () => sim.close());

  it("onlineEndpoints.createOrUpdate: 201 body like the example, headers like the recording", () => {
    expect(endpointPut.status).toBe(201);
    // The real 201 has no identity block (recorded; README wire facts (e)).
    expect(
      shapeDiff(endpointPut.body, fixtureBody("onlineEndpoints.createOrUpdate.json", "201"), {
        maps: ENDPOINT_MAPS,
        allowMissing: ["identity"],
        // The spec example omits publicNetworkAccess; the recorded answer of the real service carries it.
        allowExtra: ["properties.publicNetworkAccess"],
        nullable: ["properties.scoringUri", "properties.swaggerUri", "properties.compute"],
      }),
    ).toEqual([]);
    // Against the recorded 201: the same keys except the 2024-04-01-only ones.
    expect(
      shapeDiff(endpointPut.body, recordedEndpointPut.body, {
        maps: ENDPOINT_MAPS,
        allowMissing: ["properties.mirrorTraffic", "location"],
        nullable: ["properties.scoringUri", "properties.swaggerUri", "properties.compute", "properties.description"],
        // The recorded 201 has an empty systemData.
        allowExtra: ["location", "sku", ...["createdAt", "createdBy", "createdByType", "lastModifiedAt", "lastModifiedBy", "lastModifiedByType"].map((k) => `systemData.${k}`)],
      }),
    ).toEqual([]);
    const body = endpointPut.body as { id: string; type: string; properties: { provisioningState: string; scoringUri: unknown; properties: Record<string, string> } };
    expect(body.id).toBe(endpointPath);
    expect(body.type).toBe("Microsoft.MachineLearningServices/workspaces/onlineEndpoints");
    expect(body.properties.provisioningState).toBe("Creating");
    expect(body.properties.scoringUri).toBeNull();

    // Header names as recorded (compared case-insensitively, as HTTP does) and their forms.
    for (const name of ["location", "azure-asyncoperation", "x-ms-async-operation-timeout"]) {
      expect(recordedEndpointPut.headers[name], name).toBeDefined();
      expect(endpointPut.headers[name], name).toBeDefined();
    }
    expect(endpointPut.headers["retry-after"]).toBeUndefined();
    expect(recordedEndpointPut.headers["retry-after"]).toBeUndefined();
    expect(endpointPut.headers["x-ms-async-operation-timeout"]).toBe(recordedEndpointPut.headers["x-ms-async-operation-timeout"]);
    expect(endpointPut.headers["location"]).toBe(`${sim.url}${endpointPath}?api-version=2022-10-01`);
    const pattern = /\/subscriptions\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/locations\/eastus\/mfeOperationsStatus\/oeidp:[0-9a-f-]{36}:[0-9a-f-]{36}\?api-version=/;
    expect(recordedEndpointPut.headers["azure-asyncoperation"]).toMatch(pattern);
    expect(endpointPut.headers["azure-asyncoperation"]).toMatch(pattern);
    expect(endpointPut.headers["azure-asyncoperation"]?.startsWith(sim.url)).toBe(true);
    expect(body.properties.properties["AzureAsyncOperationUri"]).toBe(endpointPut.headers["azure-asyncoperation"]);
    expect(endpointPut.headers["x-ms-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(endpointPut.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("operation status: the recorded body shape, Updating with the 0001 endTime, then Succeeded", async () => {
    const url = endpointPut.headers["azure-asyncoperation"] ?? "";
    const running = await raw(sim, "GET", url);
    expect(running.status).toBe(200);
    expect(shapeDiff(running.body, recordedStatusRunning.body)).toEqual([]);
    expect(running.body).toMatchObject({ status: "Updating", endTime: "0001-01-01T00:00:00+00:00", percentComplete: 0 });
    expect((running.body as { endTime: string }).endTime).toBe((recordedStatusRunning.body as { endTime: string }).endTime);
    expect(running.headers["retry-after"]).toBeUndefined();

    clock.advanceBy(90_000);
    const done = await raw(sim, "GET", url);
    expect(shapeDiff(done.body, recordedStatusDone.body)).toEqual([]);
    expect(done.body).toMatchObject({ status: "Succeeded", startTime: "2026-04-01T08:00:00.000Z", endTime: "2026-04-01T08:01:30.000Z" });
    expect((done.body as { name: string }).name).toMatch(/^oeidp:/);
  });

  it("onlineEndpoints.get after creation: the example's shape including identity and user-assigned identities", async () => {
    const got = await raw(sim, "GET", `${endpointPath}${ML}`);
    expect(got.status).toBe(200);
    expect(shapeDiff(got.body, fixtureBody("onlineEndpoints.get.json", "200"), { maps: ENDPOINT_MAPS, nullable: ["properties.compute"], allowExtra: ["properties.publicNetworkAccess"] })).toEqual([]);
    const body = got.body as { identity: Record<string, unknown>; properties: Record<string, unknown> };
    expect(Object.keys(body.identity).sort()).toEqual(["principalId", "tenantId", "type", "userAssignedIdentities"]);
    expect(body.identity["type"]).toBe("SystemAssigned,UserAssigned");
    expect((body.identity["userAssignedIdentities"] as Record<string, unknown>)[uai]).toEqual({ principalId: expect.any(String), clientId: expect.any(String) });
    // Recorded GET: the endpoint id property and the scoring URI once Succeeded.
    expect(body.properties["properties"]).toMatchObject({ "azureml.onlineendpointid": endpointPath.toLowerCase(), team: "ml" });
    expect(body.properties["scoringUri"]).toBe(`${sim.url}/endpoints/fixture-ep/score`);
    const list = await raw(sim, "GET", `${wsPath(ws, "/onlineEndpoints")}${ML}`);
    expect(shapeDiff((list.body as { value: unknown[] }).value[0], fixtureBody("onlineEndpoints.get.json", "200"), { maps: ENDPOINT_MAPS, nullable: ["properties.compute"], allowExtra: ["properties.publicNetworkAccess"] })).toEqual([]);
  });

  it("listKeys and getToken: the examples' keys and types", async () => {
    const keys = await raw(sim, "POST", `${endpointPath}/listKeys${ML}`);
    expect(shapeDiff(keys.body, fixtureBody("onlineEndpoints.listKeys.json", "200"))).toEqual([]);
    const token = await raw(sim, "POST", `${endpointPath}/token${ML}`);
    expect(shapeDiff(token.body, fixtureBody("onlineEndpoints.getToken.json", "200"))).toEqual([]);
  });

  it("onlineDeployments.createOrUpdate: the example's request answered in the example's 201 shape", async () => {
    const example = loadFixture("onlineDeployments.createOrUpdate.json")["parameters"] as { body: Record<string, unknown> };
    deploymentPut = await raw(sim, "PUT", `${deploymentPath}${ML}`, { body: example.body });
    expect(deploymentPut.status).toBe(201);
    expect(
      shapeDiff(deploymentPut.body, fixtureBody("onlineDeployments.createOrUpdate.json", "201"), {
        maps: DEPLOYMENT_MAPS,
        // Recorded 2024 answers also carry egressPublicNetworkAccess. The example sends type
        // SystemAssigned with a user-assigned map; the simulator lists user-assigned identities only
        // when the type includes UserAssigned.
        allowExtra: ["properties.egressPublicNetworkAccess"],
        allowMissing: ["identity.userAssignedIdentities"],
      }),
    ).toEqual([]);
    expect(
      shapeDiff(deploymentPut.body, recordedDeploymentPut.body, {
        maps: DEPLOYMENT_MAPS,
        allowMissing: ["properties.dataCollector"],
        allowExtra: ["identity", "sku.size", "sku.family", "systemData.createdByType", "systemData.lastModifiedBy", "systemData.lastModifiedByType"],
        nullable: ["properties.modelMountPath", "properties.description"],
      }),
    ).toEqual([]);
    expect(deploymentPut.body).toMatchObject({
      type: "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
      properties: { provisioningState: "Creating", endpointComputeType: "Managed" },
    });
    expect(deploymentPut.headers["azure-asyncoperation"]).toMatch(/\/mfeOperationsStatus\/odidp:[0-9a-f-]{36}:[0-9a-f-]{36}\?/);
    expect(deploymentPut.headers["x-ms-async-operation-timeout"]).toBe(recordedDeploymentPut.headers["x-ms-async-operation-timeout"]);
    expect(deploymentPut.headers["location"]).toBe(`${sim.url}${deploymentPath}?api-version=2022-10-01`);

    const status = await raw(sim, "GET", deploymentPut.headers["azure-asyncoperation"] ?? "");
    expect((status.body as { status: string }).status).toBe((recordedStatusRunning.body as { status: string }).status);
  });

  it("onlineDeployments.get and getLogs: the examples' shapes", async () => {
    clock.advanceBy(720_000);
    const got = await raw(sim, "GET", `${deploymentPath}${ML}`);
    expect(
      shapeDiff(got.body, fixtureBody("onlineDeployments.get.json", "200"), {
        maps: DEPLOYMENT_MAPS,
        allowExtra: ["properties.egressPublicNetworkAccess"],
        allowMissing: ["identity.userAssignedIdentities"],
      }),
    ).toEqual([]);
    expect((got.body as { properties: { provisioningState: string } }).properties.provisioningState).toBe("Succeeded");
    const logs = await raw(sim, "POST", `${deploymentPath}/getLogs${ML}`, { body: { containerType: "StorageInitializer", tail: 0 } });
    expect(shapeDiff(logs.body, fixtureBody("onlineDeployments.getLogs.json", "200"))).toEqual([]);
  });

  it("DELETE answers 202 with Location, Retry-After and the timeout, no body; Location answers 202 then 200", async () => {
    const del = await raw(sim, "DELETE", `${deploymentPath}${ML}`);
    expect(del.status).toBe(202);
    expect(del.body).toBeUndefined();
    expect(del.headers["retry-after"]).toBe("10");
    expect(del.headers["x-ms-async-operation-timeout"]).toBe("PT30M");
    expect(del.headers["location"]).toMatch(/\/mfeOperationResults\/odidp:[^?]+\?api-version=2022-10-01$/);
    const running = await raw(sim, "GET", del.headers["location"] ?? "");
    expect(running.status).toBe(202);
    expect(running.headers["retry-after"]).toBe("10");
    clock.advanceBy(120_000);
    const done = await raw(sim, "GET", del.headers["location"] ?? "");
    expect(done.status).toBe(200);
    // Recorded: the Location URL answers 200 with the status body, not the resource.
    expect(shapeDiff(done.body, recorded[8]!.body)).toEqual([]);
    expect((await raw(sim, "GET", `${deploymentPath}${ML}`)).status).toBe(404);
    expect((await raw(sim, "DELETE", `${deploymentPath}${ML}`)).status).toBe(204);
  });

  it("PATCH answers 202 with a Location and no Retry-After or Azure-AsyncOperation, as recorded", async () => {
    const patch = await raw(sim, "PATCH", `${endpointPath}${ML}`, { body: { tags: { key: "value" } } });
    expect(patch.status).toBe(recordedPatch.status);
    expect(patch.headers["azure-asyncoperation"]).toBeUndefined();
    expect(patch.headers["retry-after"]).toBeUndefined();
    expect(patch.headers["location"]).toMatch(/\/mfeOperationResults\/oeidp:/);
    expect(recordedPatch.headers["location"]).toMatch(/\/mfeOperationResults\/oeidp:/);
  });

  it("modelContainers and modelVersions: the examples' shapes; 201 then 200", async () => {
    const containerExample = loadFixture("modelContainers.createOrUpdate.json")["parameters"] as { body: unknown };
    const containerExtras = ["properties.properties", "properties.isArchived", "properties.latestVersion", "properties.nextVersion"];
    const c1 = await raw(sim, "PUT", `${wsPath(ws, "/models/testContainer")}${ML}`, { body: containerExample.body });
    expect(c1.status).toBe(201);
    expect(shapeDiff(c1.body, fixtureBody("modelContainers.createOrUpdate.json", "201"), { maps: ["properties.tags"], allowExtra: containerExtras })).toEqual([]);
    const c2 = await raw(sim, "PUT", `${wsPath(ws, "/models/testContainer")}${ML}`, { body: containerExample.body });
    expect(c2.status).toBe(200);
    const got = await raw(sim, "GET", `${wsPath(ws, "/models/testContainer")}${ML}`);
    expect(shapeDiff(got.body, fixtureBody("modelContainers.get.json", "200"), { maps: ["properties.tags"], allowExtra: containerExtras })).toEqual([]);
    expect((got.body as { id: string }).id).toBe(`${workspaceId(ws)}/models/testContainer`);

    const versionExample = loadFixture("modelVersions.createOrUpdate.json")["parameters"] as { body: unknown };
    const versionMaps = ["properties.tags", "properties.properties", "properties.flavors", "properties.flavors.*.data"];
    const v1 = await raw(sim, "PUT", `${wsPath(ws, "/models/testContainer/versions/1")}${ML}`, { body: versionExample.body });
    expect(v1.status).toBe(201);
    expect(shapeDiff(v1.body, fixtureBody("modelVersions.createOrUpdate.json", "201"), { maps: versionMaps, allowExtra: ["properties.isArchived"] })).toEqual([]);
    expect((await raw(sim, "PUT", `${wsPath(ws, "/models/testContainer/versions/1")}${ML}`, { body: versionExample.body })).status).toBe(200);
    const v = await raw(sim, "GET", `${wsPath(ws, "/models/testContainer/versions/1")}${ML}`);
    expect(shapeDiff(v.body, fixtureBody("modelVersions.get.json", "200"), { maps: versionMaps, allowExtra: ["properties.isArchived"] })).toEqual([]);
    const list = await raw(sim, "GET", `${wsPath(ws, "/models/testContainer/versions")}${ML}`);
    // No paging: the simulator never sends nextLink.
    expect(shapeDiff(list.body, fixtureBody("modelVersions.list.json", "200"), { maps: versionMaps, allowExtra: ["value[].properties.isArchived"], allowMissing: ["nextLink"] })).toEqual([]);
  });

  it("roleAssignments and roleDefinitions: the examples' shapes", async () => {
    const principal = "ce2ce14e-85d7-4629-bdbc-454d0519d987";
    const scope = `/subscriptions/${ws.subscriptionId}/resourceGroups/test-rg/providers/Microsoft.DocumentDb/databaseAccounts/test-db-account`;
    const name = "05c5a614-a7d6-4502-b150-c2fb455033ff";
    const raExtras = ["properties.createdOn", "properties.updatedOn", "properties.createdBy", "properties.updatedBy"];
    const created = await raw(sim, "PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}${AUTHZ}`, {
      body: { properties: { roleDefinitionId: roleDefinitionId(ws, CONNECTION_SECRETS_READER_ROLE_ID), principalId: principal, principalType: "User" } },
    });
    expect(created.status).toBe(201);
    expect(shapeDiff(created.body, fixtureBody("roleAssignments.create.json", "201"), { allowExtra: raExtras })).toEqual([]);
    // Fixture facts: roleDefinitionId without the subscription prefix, scope with a leading slash.
    expect(created.body).toMatchObject({
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${CONNECTION_SECRETS_READER_ROLE_ID}`, scope },
    });
    const got = await raw(sim, "GET", `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}${AUTHZ}`);
    expect(shapeDiff(got.body, fixtureBody("roleAssignments.get.json", "200"), { allowExtra: raExtras })).toEqual([]);
    const list = await raw(sim, "GET", `${scope}/providers/Microsoft.Authorization/roleAssignments${AUTHZ}`);
    expect(shapeDiff(list.body, fixtureBody("roleAssignments.listForScope.json", "200"), { allowExtra: raExtras.map((p) => `value[].${p}`) })).toEqual([]);

    const def = await raw(sim, "GET", `/subscriptions/${ws.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONNECTION_SECRETS_READER_ROLE_ID}${AUTHZ}`);
    expect(shapeDiff(def.body, fixtureBody("roleDefinitions.get.json", "200"))).toEqual([]);
    expect(shapeDiff(def.body, fixtureBody("roleDefinitions.getById.json", "200"))).toEqual([]);
    expect(def.body).toMatchObject({ name: CONNECTION_SECRETS_READER_ROLE_ID, properties: { roleName: "Azure Machine Learning Workspace Connection Secrets Reader", type: "BuiltInRole" } });
  });

  it("workspaces.get: the example's shape with registry and storage ids", async () => {
    const got = await raw(sim, "GET", `${wsPath(ws)}${ML}`);
    expect(
      shapeDiff(got.body, fixtureBody("workspaces.get.json", "200"), {
        // Not customer-managed-key encrypted, no image build compute, only a system-assigned identity.
        allowMissing: ["properties.encryption", "properties.imageBuildCompute", "identity.userAssignedIdentities"],
        allowExtra: ["systemData", "properties.workspaceId", "properties.provisioningState"],
      }),
    ).toEqual([]);
  });

  it("errors have the ARM ErrorResponse shape", async () => {
    const missing = await raw(sim, "GET", `${wsPath(ws, "/onlineEndpoints/none")}${ML}`);
    expect(missing.status).toBe(404);
    expect(Object.keys(missing.body as object)).toEqual(["error"]);
    expect(Object.keys((missing.body as { error: object }).error).sort()).toEqual(["code", "message"]);
  });
});
