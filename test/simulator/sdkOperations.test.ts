import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScaledClock, VirtualClock } from "../../src/local/clock";
import { startSimulator, type Simulator } from "../../src/local/simulator";
import { createDeployment, createEndpoint, registerModel, setTraffic } from "./support/flows";
import { clientsFor, POLL, raw, sdkError, wsPath, type Clients, ML } from "./support/harness";

/**
 * Every operation the pipeline calls, through the real @azure/arm-machinelearning client over HTTPS.
 * The virtual clock makes a 12-minute deployment a clock jump: the SDK's own poller sees `Updating`
 * before the jump and `Succeeded` after it.
 */
describe("Azure ML operations through the real SDK (virtual clock)", () => {
  const clock = new VirtualClock("2026-03-01T10:00:00Z");
  let sim: Simulator;
  let c: Clients;

  beforeAll(async () => {
    sim = await startSimulator({ clock, scenario: { polling: { locationRetryAfterSeconds: 0 } } });
    c = clientsFor(sim);
  });
  afterAll(async () => sim.close());

  it("workspaces.get returns a workspace with registry and storage ids for any names", async () => {
    const ws = await c.ml.workspaces.get("any-rg", "any-workspace");
    expect(ws.name).toBe("any-workspace");
    expect(ws.id).toMatch(/\/resourceGroups\/any-rg\/providers\/Microsoft\.MachineLearningServices\/workspaces\/any-workspace$/);
    expect(ws.containerRegistry).toMatch(/\/providers\/Microsoft\.ContainerRegistry\/registries\/cr[0-9a-f]+$/);
    expect(ws.storageAccount).toMatch(/\/providers\/Microsoft\.Storage\/storageAccounts\/st[0-9a-f]+$/);
    // Stable: the same workspace always has the same dependent resources.
    expect((await c.ml.workspaces.get("any-rg", "any-workspace")).containerRegistry).toBe(ws.containerRegistry);
  });

  it("creates an endpoint through the SDK poller: Creating, then Succeeded with an identity", async () => {
    const poller = await c.ml.onlineEndpoints.beginCreateOrUpdate(
      c.ws.resourceGroup,
      c.ws.workspace,
      "ep-life",
      { location: "eastus", identity: { type: "SystemAssigned" }, properties: { authMode: "Key" } },
      POLL,
    );
    await poller.poll();
    expect(poller.isDone()).toBe(false);
    const during = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "ep-life");
    expect(during.properties.provisioningState).toBe("Creating");
    expect(during.identity).toBeUndefined();
    // Recorded: scoringUri is null until the endpoint exists.
    expect(during.properties.scoringUri).toBeNull();

    clock.advanceBy(90_000);
    const ep = await poller.pollUntilDone();
    expect(ep.properties.provisioningState).toBe("Succeeded");
    expect(ep.identity?.type).toBe("SystemAssigned");
    expect(ep.identity?.principalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ep.properties.scoringUri).toBe(`${sim.url}/endpoints/ep-life/score`);
    expect(ep.properties.swaggerUri).toBe(`${sim.url}/endpoints/ep-life/swagger.json`);
  });

  it("lists endpoints of the workspace only", async () => {
    await createEndpoint(clientsFor(sim), clock, "ep-listed");
    const names: string[] = [];
    for await (const e of c.ml.onlineEndpoints.list(c.ws.resourceGroup, c.ws.workspace)) names.push(e.name ?? "");
    expect(names).toEqual(expect.arrayContaining(["ep-life", "ep-listed"]));
    const elsewhere: string[] = [];
    for await (const e of c.ml.onlineEndpoints.list(c.ws.resourceGroup, "other-ws")) elsewhere.push(e.name ?? "");
    expect(elsewhere).toEqual([]);
  });

  it("listKeys returns two distinct 44-character base64 keys; getToken an AML token", async () => {
    const keys = await c.ml.onlineEndpoints.listKeys(c.ws.resourceGroup, c.ws.workspace, "ep-life");
    expect(keys.primaryKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(keys.secondaryKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(keys.primaryKey).not.toBe(keys.secondaryKey);
    const token = await c.ml.onlineEndpoints.getToken(c.ws.resourceGroup, c.ws.workspace, "ep-life");
    expect(token.tokenType).toBe("Bearer");
    expect(typeof token.accessToken).toBe("string");
    expect(token.expiryTimeUtc).toBe(Math.floor(clock.now().getTime() / 1000) + 3600);
    expect(token.refreshAfterTimeUtc).toBeLessThan(token.expiryTimeUtc ?? 0);
    expect(sim.secrets()).toEqual(expect.arrayContaining([keys.primaryKey, keys.secondaryKey, token.accessToken]));
  });

  it("registers model containers and versions, lists them, and refuses to change a version", async () => {
    const container = await c.ml.modelContainers.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "flow-a", {
      properties: { description: "the flow", tags: { team: "ml" } },
    });
    expect(container.properties.description).toBe("the flow");
    expect((await c.ml.modelContainers.get(c.ws.resourceGroup, c.ws.workspace, "flow-a")).properties.tags).toEqual({ team: "ml" });

    await registerModel(c, "flow-a", "1");
    await registerModel(c, "flow-a", "2", { "azureml.promptflow.mode": "chat" });
    const v2 = await c.ml.modelVersions.get(c.ws.resourceGroup, c.ws.workspace, "flow-a", "2");
    expect(v2.name).toBe("2");
    expect(v2.properties.properties).toEqual({ "azureml.promptflow.mode": "chat" });
    const versions: string[] = [];
    for await (const v of c.ml.modelVersions.list(c.ws.resourceGroup, c.ws.workspace, "flow-a")) versions.push(v.name ?? "");
    expect(versions).toEqual(["2", "1"]);
    const containers: string[] = [];
    for await (const m of c.ml.modelContainers.list(c.ws.resourceGroup, c.ws.workspace)) containers.push(m.name ?? "");
    expect(containers).toContain("flow-a");
    expect((await c.ml.modelContainers.get(c.ws.resourceGroup, c.ws.workspace, "flow-a")).properties.latestVersion).toBe("2");

    // Same body again is fine (idempotent retry); a different modelUri is a conflict (versions are immutable).
    await expect(registerModel(c, "flow-a", "1")).resolves.toContain("/versions/1");
    const err = await sdkError(
      c.ml.modelVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "flow-a", "1", { properties: { modelUri: "azureml://other/" } }),
    );
    expect(err.statusCode).toBe(409);
    const missing = await sdkError(c.ml.modelVersions.get(c.ws.resourceGroup, c.ws.workspace, "flow-a", "9"));
    expect(missing.statusCode).toBe(404);
  });

  it("creates deployments, lists them, gets logs, shifts traffic and refuses to delete one with traffic", async () => {
    const model = await registerModel(c, "flow-b", "1");
    const pending = await c.ml.onlineDeployments.beginCreateOrUpdate(
      c.ws.resourceGroup,
      c.ws.workspace,
      "ep-life",
      "blue",
      { location: "eastus", properties: { endpointComputeType: "Managed", model, instanceType: "Standard_DS3_v2" } as never, sku: { name: "Default", capacity: 2 } },
      POLL,
    );
    await pending.poll();
    expect((await c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, "ep-life", "blue")).properties.provisioningState).toBe("Creating");
    // Traffic to a deployment that is not Succeeded yet is refused, as Azure does.
    const early = await sdkError(setTraffic(c, clock, "ep-life", { blue: 100 }));
    expect(early.statusCode).toBe(400);

    clock.advanceBy(720_000);
    const blue = await pending.pollUntilDone();
    expect(blue.properties.provisioningState).toBe("Succeeded");
    expect(blue.sku?.capacity).toBe(2);
    await createDeployment(c, clock, "ep-life", "green", model);

    const names: string[] = [];
    for await (const d of c.ml.onlineDeployments.list(c.ws.resourceGroup, c.ws.workspace, "ep-life")) names.push(d.name ?? "");
    expect(names.sort()).toEqual(["blue", "green"]);

    const logs = await c.ml.onlineDeployments.getLogs(c.ws.resourceGroup, c.ws.workspace, "ep-life", "blue", { containerType: "InferenceServer", tail: 10 });
    expect(logs.content).toContain("PROMPTFLOW_RUN_MODE=serving");

    const updated = await setTraffic(c, clock, "ep-life", { blue: 100, green: 0 });
    expect(updated.properties.traffic).toEqual({ blue: 100, green: 0 });
    expect(sim.state().endpoints.find((e) => e.name === "ep-life")?.effectiveTraffic).toEqual({ blue: 100, green: 0 });

    const refused = await sdkError(c.ml.onlineDeployments.beginDeleteAndWait(c.ws.resourceGroup, c.ws.workspace, "ep-life", "blue", POLL));
    expect(refused.statusCode).toBe(400);
    const bad = await sdkError(setTraffic(c, clock, "ep-life", { blue: 60, green: 30 }));
    expect(bad.statusCode).toBe(400);
    expect(bad.message).toContain("90");
    const unknown = await sdkError(setTraffic(c, clock, "ep-life", { purple: 100 }));
    expect(unknown.statusCode).toBe(400);

    const del = await c.ml.onlineDeployments.beginDelete(c.ws.resourceGroup, c.ws.workspace, "ep-life", "green", POLL);
    expect((await c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, "ep-life", "green")).properties.provisioningState).toBe("Deleting");
    clock.advanceBy(120_000);
    await del.pollUntilDone();
    expect((await sdkError(c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, "ep-life", "green"))).statusCode).toBe(404);
    // The deleted deployment leaves the traffic map, so the next full PUT need not mention it.
    expect((await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "ep-life")).properties.traffic).toEqual({ blue: 100 });
  });

  it("updates tags with PATCH (202 + Location poll)", async () => {
    const poller = await c.ml.onlineEndpoints.beginUpdate(c.ws.resourceGroup, c.ws.workspace, "ep-listed", { tags: { owner: "me" } }, POLL);
    clock.advanceBy(30_000);
    await poller.pollUntilDone();
    expect((await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "ep-listed")).tags).toEqual({ owner: "me" });
  });

  it("deletes an endpoint with its deployments (202, Location polled to 200)", async () => {
    const poller = await c.ml.onlineEndpoints.beginDelete(c.ws.resourceGroup, c.ws.workspace, "ep-life", POLL);
    clock.advanceBy(120_000);
    await poller.pollUntilDone();
    expect((await sdkError(c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "ep-life"))).statusCode).toBe(404);
    expect(sim.state().endpoints.map((e) => e.name)).not.toContain("ep-life");
    // Deleting something that is not there: 204, which the SDK treats as done.
    const before = sim.requestCounts()["operationResults.get"] ?? 0;
    await c.ml.onlineEndpoints.beginDeleteAndWait(c.ws.resourceGroup, c.ws.workspace, "ep-life", POLL);
    expect(sim.requests({ operation: "onlineEndpoints.delete" }).at(-1)?.status).toBe(204);
    expect(sim.requestCounts()["operationResults.get"] ?? 0).toBe(before);
  });

  it("answers unknown paths with an ARM 404, wrong api-versions with 400 and no token with 401", async () => {
    const unknown = await raw(sim, "GET", `${wsPath(c.ws, "/computes/x")}${ML}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: { code: "NotFound", message: expect.any(String) } });

    const wrongVersion = await raw(sim, "GET", `${wsPath(c.ws)}?api-version=2024-04-01`);
    expect(wrongVersion.status).toBe(400);
    expect((wrongVersion.body as { error: { code: string } }).error.code).toBe("NoRegisteredProviderFound");
    const noVersion = await raw(sim, "GET", wsPath(c.ws));
    expect((noVersion.body as { error: { code: string } }).error.code).toBe("MissingApiVersionParameter");

    const anonymous = await raw(sim, "GET", `${wsPath(c.ws)}${ML}`, { auth: false });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ error: { code: "AuthenticationFailed", message: expect.stringContaining("Authorization") } });

    const missingEndpoint = await sdkError(c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "nope"));
    expect(missingEndpoint).toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });

  it("environment versions are immutable: an identical re-PUT is 200, a changed image is Azure's 409 UserError (azure-cli-extensions#5440)", async () => {
    const body = { properties: { image: "mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest", inferenceConfig: { livenessRoute: { path: "/health", port: 8080 }, readinessRoute: { path: "/health", port: 8080 }, scoringRoute: { path: "/score", port: 8080 } } } };
    const first = await c.ml.environmentVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "env-immutable", "1", body);
    expect(first.properties.image).toBe(body.properties.image);
    await expect(c.ml.environmentVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "env-immutable", "1", body)).resolves.toBeDefined();
    const changed = await sdkError(c.ml.environmentVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, "env-immutable", "1", { properties: { ...body.properties, image: "mcr.microsoft.com/azureml/promptflow/promptflow-runtime:20260101" } }));
    expect(changed).toEqual({ statusCode: 409, code: "UserError", message: "Environment env-immutable with version 1 is already registered and cannot be changed." });
  });

  it("logs every request with its operation name, never a key", () => {
    const counts = sim.requestCounts();
    for (const op of [
      "workspaces.get",
      "onlineEndpoints.createOrUpdate",
      "onlineEndpoints.get",
      "onlineEndpoints.list",
      "onlineEndpoints.listKeys",
      "onlineEndpoints.getToken",
      "onlineEndpoints.update",
      "onlineEndpoints.delete",
      "onlineDeployments.createOrUpdate",
      "onlineDeployments.get",
      "onlineDeployments.list",
      "onlineDeployments.getLogs",
      "onlineDeployments.delete",
      "modelContainers.createOrUpdate",
      "modelContainers.get",
      "modelContainers.list",
      "modelVersions.createOrUpdate",
      "modelVersions.get",
      "modelVersions.list",
      "operationStatus.get",
      "operationResults.get",
    ]) {
      expect(counts[op], op).toBeGreaterThan(0);
    }
    const log = JSON.stringify(sim.requests());
    for (const secret of sim.secrets()) expect(log).not.toContain(secret);
  });
});

describe("the SDK's own pollers on a scaled clock", () => {
  it("beginCreateOrUpdateAndWait completes realistic durations on its own (2000x: 12 min = 0.36 s)", async () => {
    const sim = await startSimulator({ clock: new ScaledClock(2000), scenario: { polling: { locationRetryAfterSeconds: 0 } } });
    try {
      const c = clientsFor(sim);
      const started = Date.now();
      const ep = await c.ml.onlineEndpoints.beginCreateOrUpdateAndWait(
        c.ws.resourceGroup,
        c.ws.workspace,
        "scaled",
        { location: "eastus", identity: { type: "SystemAssigned" }, properties: { authMode: "Key" } },
        { updateIntervalInMs: 10 },
      );
      expect(ep.properties.provisioningState).toBe("Succeeded");
      const model = await registerModel(c, "scaled-flow", "1");
      const dep = await c.ml.onlineDeployments.beginCreateOrUpdateAndWait(
        c.ws.resourceGroup,
        c.ws.workspace,
        "scaled",
        "blue",
        { location: "eastus", properties: { endpointComputeType: "Managed", model } as never },
        { updateIntervalInMs: 10 },
      );
      expect(dep.properties.provisioningState).toBe("Succeeded");
      // 90 s + 720 s simulated at 2000x is about 0.4 s real; the poller really waited for it.
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
      expect(sim.requestCounts()["operationStatus.get"]).toBeGreaterThan(2);
    } finally {
      await sim.close();
    }
  });
});
