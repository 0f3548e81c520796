import { randomUUID } from "node:crypto";
import type { OnlineEndpoint } from "@azure/arm-machinelearning";
import type { VirtualClock } from "../../../src/local/clock";
import { CONNECTION_SECRETS_READER_ROLE_ID, workspaceId } from "../../../src/local/simulator";
import { POLL, roleDefinitionId, type Clients } from "./harness";

/**
 * Steps of a deployment, driven through the real SDK on a virtual clock: start the long-running
 * operation, move the clock past its duration, let the SDK's own poller finish it.
 */

export async function createEndpoint(
  c: Clients,
  clock: VirtualClock,
  name: string,
  body: Partial<OnlineEndpoint> = {},
  seconds = 90,
): Promise<OnlineEndpoint> {
  const poller = await c.ml.onlineEndpoints.beginCreateOrUpdate(
    c.ws.resourceGroup,
    c.ws.workspace,
    name,
    { location: "eastus", identity: { type: "SystemAssigned" }, properties: { authMode: "Key" }, ...body },
    POLL,
  );
  clock.advanceBy(seconds * 1000);
  return poller.pollUntilDone();
}

export function modelId(c: Clients, name: string, version: string): string {
  return `${workspaceId(c.ws)}/models/${name}/versions/${version}`;
}

export async function registerModel(c: Clients, name: string, version: string, properties: Record<string, string> = {}): Promise<string> {
  await c.ml.modelVersions.createOrUpdate(c.ws.resourceGroup, c.ws.workspace, name, version, {
    properties: { modelUri: `azureml://datastores/workspaceblobstore/paths/flows/${name}/`, modelType: "CustomModel", properties },
  });
  return modelId(c, name, version);
}

export async function createDeployment(c: Clients, clock: VirtualClock, endpoint: string, name: string, model: string, seconds = 720) {
  const poller = await c.ml.onlineDeployments.beginCreateOrUpdate(
    c.ws.resourceGroup,
    c.ws.workspace,
    endpoint,
    name,
    {
      location: "eastus",
      properties: { endpointComputeType: "Managed", model, instanceType: "Standard_DS3_v2", environmentVariables: { PROMPTFLOW_RUN_MODE: "serving" } } as never,
      sku: { name: "Default", capacity: 1 },
    },
    POLL,
  );
  clock.advanceBy(seconds * 1000);
  return poller.pollUntilDone();
}

export async function grantSecretsReader(c: Clients, principalId: string, scope = workspaceId(c.ws)) {
  return c.authz.roleAssignments.create(scope, randomUUID(), {
    roleDefinitionId: roleDefinitionId(c.ws, CONNECTION_SECRETS_READER_ROLE_ID),
    principalId,
    principalType: "ServicePrincipal",
  });
}

export async function setTraffic(c: Clients, clock: VirtualClock, endpoint: string, traffic: Record<string, number>, authMode = "Key") {
  const poller = await c.ml.onlineEndpoints.beginCreateOrUpdate(
    c.ws.resourceGroup,
    c.ws.workspace,
    endpoint,
    { location: "eastus", properties: { authMode, traffic } },
    POLL,
  );
  clock.advanceBy(30_000);
  return poller.pollUntilDone();
}
