import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScaledClock, VirtualClock } from "../../src/local/clock";
import {
  ACR_PULL_ROLE_ID,
  containerRegistryId,
  startSimulator,
  storageAccountId,
  STORAGE_BLOB_DATA_READER_ROLE_ID,
  type Simulator,
} from "../../src/local/simulator";
import { createDeployment, createEndpoint, registerModel } from "./support/flows";
import { clientsFor, ML, POLL, raw, roleDefinitionId, sdkError, wsPath, type Clients } from "./support/harness";

/**
 * Long-running operations end to end: state is derived from the clock when read (no timers), a
 * failed provisioning surfaces as the SDK's own LRO failure, and Azure's ordering rules hold.
 */
describe("long-running operations", () => {
  const clock = new VirtualClock("2026-05-01T00:00:00Z");
  let sim: Simulator;
  let c: Clients;
  let model: string;

  beforeAll(async () => {
    sim = await startSimulator({
      clock,
      scenario: {
        polling: { locationRetryAfterSeconds: 0 },
        faults: [
          { op: "onlineDeployments.createOrUpdate", deployment: "broken", provisioningError: "ImagePullFailure" },
          { op: "onlineEndpoints.createOrUpdate", endpoint: "no-quota", provisioningError: "OutOfQuota" },
          { op: "onlineDeployments.createOrUpdate", deployment: "crashy", provisioningError: "ResourceNotReady" },
        ],
      },
    });
    c = clientsFor(sim);
    await createEndpoint(c, clock, "lro-ep");
    model = await registerModel(c, "lro-flow", "1");
  });
  afterAll(async () => sim.close());

  it("nothing completes until the clock passes the operation's end, however often it is polled", async () => {
    const poller = await c.ml.onlineDeployments.beginCreateOrUpdate(
      c.ws.resourceGroup,
      c.ws.workspace,
      "lro-ep",
      "slow",
      { location: "eastus", properties: { endpointComputeType: "Managed", model } as never },
      POLL,
    );
    for (let i = 0; i < 5; i++) await poller.poll();
    expect(poller.isDone()).toBe(false);
    clock.advanceBy(719_000);
    await poller.poll();
    expect(poller.isDone()).toBe(false);
    clock.advanceBy(1_000);
    const done = await poller.pollUntilDone();
    expect(done.properties.provisioningState).toBe("Succeeded");
  });

  it("a deployment provisioning error fails the SDK poller with the code and message (ImagePullFailure)", async () => {
    const poller = await c.ml.onlineDeployments.beginCreateOrUpdate(
      c.ws.resourceGroup,
      c.ws.workspace,
      "lro-ep",
      "broken",
      { location: "eastus", properties: { endpointComputeType: "Managed", model } as never },
      POLL,
    );
    clock.advanceBy(720_000);
    const err = await sdkError(poller.pollUntilDone());
    expect(err.message).toMatch(/^The long-running operation has failed\. ImagePullFailure\. /);
    const got = await c.ml.onlineDeployments.get(c.ws.resourceGroup, c.ws.workspace, "lro-ep", "broken");
    expect(got.properties.provisioningState).toBe("Failed");
    const logs = await c.ml.onlineDeployments.getLogs(c.ws.resourceGroup, c.ws.workspace, "lro-ep", "broken", { containerType: "InferenceServer" });
    expect(logs.content).toContain("ImagePullFailure");
    expect(sim.requests({ operation: "onlineDeployments.createOrUpdate" }).some((r) => r.fault === "provisioningError")).toBe(true);

    // The status URL carries the error as ARM's async-operation format says.
    const state = sim.state().operations.find((o) => o.status === "Failed");
    expect(state?.error?.code).toBe("ImagePullFailure");
  });

  it("ResourceNotReady and OutOfQuota also surface as SDK failures; a failed endpoint can be re-created", async () => {
    const crashy = await c.ml.onlineDeployments.beginCreateOrUpdate(
      c.ws.resourceGroup, c.ws.workspace, "lro-ep", "crashy",
      { location: "eastus", properties: { endpointComputeType: "Managed", model } as never }, POLL,
    );
    clock.advanceBy(720_000);
    expect((await sdkError(crashy.pollUntilDone())).message).toContain("ResourceNotReady");

    const poller = await c.ml.onlineEndpoints.beginCreateOrUpdate(
      c.ws.resourceGroup, c.ws.workspace, "no-quota",
      { location: "eastus", identity: { type: "SystemAssigned" }, properties: { authMode: "Key" } }, POLL,
    );
    clock.advanceBy(90_000);
    expect((await sdkError(poller.pollUntilDone())).message).toContain("OutOfQuota");
    const failed = await c.ml.onlineEndpoints.get(c.ws.resourceGroup, c.ws.workspace, "no-quota");
    expect(failed.properties.provisioningState).toBe("Failed");
    expect(failed.identity).toBeUndefined();
    // The fault was used up: a second PUT retries the creation and succeeds.
    const retried = await createEndpoint(c, clock, "no-quota");
    expect(retried.properties.provisioningState).toBe("Succeeded");
  });

  it("a second PUT while an operation runs answers 409; deployments wait for a Succeeded endpoint", async () => {
    const first = await c.ml.onlineEndpoints.beginCreateOrUpdate(
      c.ws.resourceGroup, c.ws.workspace, "busy-ep",
      { location: "eastus", identity: { type: "SystemAssigned" }, properties: { authMode: "Key" } }, POLL,
    );
    const again = await sdkError(
      c.ml.onlineEndpoints.beginCreateOrUpdate(c.ws.resourceGroup, c.ws.workspace, "busy-ep", { location: "eastus", properties: { authMode: "Key" } }, POLL),
    );
    expect(again).toMatchObject({ statusCode: 409, code: "Conflict" });
    const early = await sdkError(
      c.ml.onlineDeployments.beginCreateOrUpdate(c.ws.resourceGroup, c.ws.workspace, "busy-ep", "blue", { location: "eastus", properties: { endpointComputeType: "Managed", model } as never }, POLL),
    );
    expect(early.statusCode).toBe(409);
    clock.advanceBy(90_000);
    await first.pollUntilDone();
    const missingEndpoint = await sdkError(
      c.ml.onlineDeployments.beginCreateOrUpdate(c.ws.resourceGroup, c.ws.workspace, "no-such-ep", "blue", { location: "eastus", properties: { endpointComputeType: "Managed", model } as never }, POLL),
    );
    expect(missingEndpoint.statusCode).toBe(404);
    const unknownModel = await sdkError(
      c.ml.onlineDeployments.beginCreateOrUpdate(c.ws.resourceGroup, c.ws.workspace, "busy-ep", "blue", { location: "eastus", properties: { endpointComputeType: "Managed", model: "azureml:never-registered:1" } as never }, POLL),
    );
    expect(unknownModel.statusCode).toBe(400);
  });

  it("validates endpoint bodies and names like Azure", async () => {
    const noAuth = await raw(sim, "PUT", `${wsPath(c.ws, "/onlineEndpoints/bad-ep")}${ML}`, { body: { location: "eastus", properties: {} } });
    expect(noAuth.status).toBe(400);
    const noLocation = await raw(sim, "PUT", `${wsPath(c.ws, "/onlineEndpoints/bad-ep")}${ML}`, { body: { properties: { authMode: "Key" } } });
    expect((noLocation.body as { error: { code: string } }).error.code).toBe("LocationRequired");
    const badName = await raw(sim, "PUT", `${wsPath(c.ws, "/onlineEndpoints/1-bad")}${ML}`, { body: { location: "eastus", properties: { authMode: "Key" } } });
    expect(badName.status).toBe(400);
    const notJson = await raw(sim, "PUT", `${wsPath(c.ws, "/onlineEndpoints/bad-ep")}${ML}`, { rawText: "{not json" });
    expect(notJson.status).toBe(400);
    expect((notJson.body as { error: { code: string } }).error.code).toBe("InvalidRequestContent");
  });

  it("a user-assigned identity without AcrPull / Storage Blob Data Reader fails the deployment; with them it succeeds", async () => {
    const uai = `/subscriptions/${c.ws.subscriptionId}/resourceGroups/${c.ws.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/flow-uai`;
    const ep = await createEndpoint(c, clock, "uai-ep", { identity: { type: "UserAssigned", userAssignedIdentities: { [uai]: {} } } });
    const principalId = ep.identity?.userAssignedIdentities?.[uai]?.principalId ?? "";
    expect(principalId).toMatch(/^[0-9a-f-]{36}$/);

    const noRoles = await sdkError(createDeployment(c, clock, "uai-ep", "first", model));
    expect(noRoles.message).toContain("ImagePullFailure");
    const grant = (role: string, scope: string) =>
      c.authz.roleAssignments.create(scope, randomUUID(), { roleDefinitionId: roleDefinitionId(c.ws, role), principalId, principalType: "ServicePrincipal" });
    await grant(ACR_PULL_ROLE_ID, containerRegistryId(c.ws));
    const noStorage = await sdkError(createDeployment(c, clock, "uai-ep", "second", model));
    expect(noStorage.message).toContain("ModelDownloadFailure");
    await grant(STORAGE_BLOB_DATA_READER_ROLE_ID, storageAccountId(c.ws));
    const ok = await createDeployment(c, clock, "uai-ep", "third", model);
    expect(ok.properties.provisioningState).toBe("Succeeded");
  });
});

describe("Retry-After on a scaled clock is converted to real seconds", () => {
  it("DELETE's simulated 10 s Retry-After becomes 1 s at time scale 10", async () => {
    const sim = await startSimulator({ clock: new ScaledClock(10), scenario: { latency: { endpointSeconds: 0, endpointDeleteSeconds: 600 } } });
    try {
      const ws = sim.workspace;
      await raw(sim, "PUT", `${wsPath(ws, "/onlineEndpoints/scaled-del")}${ML}`, { body: { location: "eastus", properties: { authMode: "Key" } } });
      const del = await raw(sim, "DELETE", `${wsPath(ws, "/onlineEndpoints/scaled-del")}${ML}`);
      expect(del.status).toBe(202);
      expect(del.headers["retry-after"]).toBe("1");
    } finally {
      await sim.close();
    }
  });

  it("statusRetryAfterSeconds adds a Retry-After to running status answers only", async () => {
    const clock = new VirtualClock();
    const sim = await startSimulator({ clock, scenario: { polling: { statusRetryAfterSeconds: 5 } } });
    try {
      const put = await raw(sim, "PUT", `${wsPath(sim.workspace, "/onlineEndpoints/ra-ep")}${ML}`, { body: { location: "eastus", properties: { authMode: "Key" } } });
      const url = put.headers["azure-asyncoperation"] ?? "";
      expect((await raw(sim, "GET", url)).headers["retry-after"]).toBe("5");
      clock.advanceBy(90_000);
      expect((await raw(sim, "GET", url)).headers["retry-after"]).toBeUndefined();
    } finally {
      await sim.close();
    }
  });
});
