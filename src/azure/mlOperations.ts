import type { OperationOptions, OperationQueryParameter, OperationSpec, OperationURLParameter, OperationParameter, ServiceClient } from "@azure/core-client";
import { createSerializer } from "@azure/core-client";
import type { OnlineEndpoint, Workspace } from "@azure/arm-machinelearning";

/**
 * The Azure ML operations flowdeploy needs at a newer api-version than `@azure/arm-machinelearning`
 * 2.1.1 speaks (2022-10-01, the latest on npm):
 *
 * - `mirrorTraffic` on online endpoints is absent from 2022-10-01 (added in 2022-06-01-preview,
 *   removed in 2022-10-01, stable again from 2023-04-01: the ARM template change log for
 *   workspaces/onlineEndpoints; mfe.json of each stable version). A 2022-10-01 PUT cannot carry it,
 *   so it would clear a mirror set by anyone else (safe-rollout how-to: older CLIs and SDKs "silently
 *   drop" it on update).
 * - `kind` and `properties.hubResourceId` of Foundry hub-based projects are absent from 2022-10-01
 *   (hubResourceId is stable from 2024-04-01: the workspaces change log).
 *
 * The typed 2.1.1 models would drop both: core-client's serializer writes only the keys of a model's
 * mapper (serializeCompositeType), and its deserializer drops unknown keys of a flattened
 * `properties` bag. So these operations go through the SDK client's own `sendOperationRequest` —
 * its pipeline, credential, retry and TLS policies, error mapping — with operation specs whose body
 * is passed through as JSON (mapper type `any`) and whose api-version is this one. Nothing here is a
 * second HTTP client; long-running operations are still polled by the orchestrator.
 */
export const ML_CURRENT_API_VERSION = "2024-10-01";

/** OnlineEndpoint as 2024-10-01 has it: with `mirrorTraffic` (deployment → percent, at most 50 in all). */
export type OnlineEndpointCurrent = OnlineEndpoint & { properties: OnlineEndpoint["properties"] & { mirrorTraffic?: Record<string, number> | null } };

/** Workspace as 2024-10-01 has it: `kind` ("Default", "Hub", "Project", "FeatureStore") and a project's hub. */
export type WorkspaceCurrent = Omit<Workspace, "containerRegistry" | "storageAccount"> & {
  kind?: string;
  properties?: { containerRegistry?: string | null; storageAccount?: string | null; hubResourceId?: string | null };
};

const serializer = createSerializer({}, false);
const json = { type: { name: "any" as const } };
const apiVersion: OperationQueryParameter = { parameterPath: "apiVersion", mapper: { serializedName: "api-version", isConstant: true, defaultValue: ML_CURRENT_API_VERSION, type: { name: "String" } } };
const path = (name: string): OperationURLParameter => ({ parameterPath: name, mapper: { serializedName: name, required: true, type: { name: "String" } } });
const $host: OperationURLParameter = { parameterPath: "$host", mapper: { serializedName: "$host", required: true, type: { name: "String" } }, skipEncoding: true };
const accept: OperationParameter = { parameterPath: "accept", mapper: { defaultValue: "application/json", isConstant: true, serializedName: "Accept", type: { name: "String" } } };
const contentType: OperationParameter = { parameterPath: ["options", "contentType"], mapper: { defaultValue: "application/json", isConstant: true, serializedName: "Content-Type", type: { name: "String" } } };

const WORKSPACE_PATH = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}";
const ENDPOINT_PATH = `${WORKSPACE_PATH}/onlineEndpoints/{endpointName}`;
const urlParameters = [$host, path("subscriptionId"), path("resourceGroupName"), path("workspaceName")];

const getEndpointSpec: OperationSpec = {
  path: ENDPOINT_PATH,
  httpMethod: "GET",
  responses: { 200: { bodyMapper: json }, default: { bodyMapper: json } },
  queryParameters: [apiVersion],
  urlParameters: [...urlParameters, path("endpointName")],
  headerParameters: [accept],
  serializer,
};

/** PUT answers 200 (update) or 201 (create) with the resource and Azure-AsyncOperation (OnlineEndpoints_CreateOrUpdate). */
const putEndpointSpec: OperationSpec = {
  path: ENDPOINT_PATH,
  httpMethod: "PUT",
  responses: { 200: { bodyMapper: json }, 201: { bodyMapper: json }, 202: { bodyMapper: json }, default: { bodyMapper: json } },
  requestBody: { parameterPath: "body", mapper: { ...json, serializedName: "body", required: true } },
  queryParameters: [apiVersion],
  urlParameters: [...urlParameters, path("endpointName")],
  headerParameters: [accept, contentType],
  mediaType: "json",
  serializer,
};

const getWorkspaceSpec: OperationSpec = {
  path: WORKSPACE_PATH,
  httpMethod: "GET",
  responses: { 200: { bodyMapper: json }, default: { bodyMapper: json } },
  queryParameters: [apiVersion],
  urlParameters,
  headerParameters: [accept],
  serializer,
};

/** A client of `@azure/arm-machinelearning` (a core-client ServiceClient with its subscription id). */
export type MachineLearningClient = ServiceClient & { subscriptionId: string; $host: string };

export async function getOnlineEndpoint(client: MachineLearningClient, resourceGroupName: string, workspaceName: string, endpointName: string, options?: OperationOptions): Promise<OnlineEndpointCurrent> {
  return client.sendOperationRequest({ resourceGroupName, workspaceName, endpointName, options }, getEndpointSpec);
}

/** Starts create-or-update (the initial request only; `options.onResponse` sees its headers). */
export async function putOnlineEndpoint(
  client: MachineLearningClient,
  resourceGroupName: string,
  workspaceName: string,
  endpointName: string,
  body: OnlineEndpointCurrent,
  options?: OperationOptions,
): Promise<OnlineEndpointCurrent> {
  return client.sendOperationRequest({ resourceGroupName, workspaceName, endpointName, body, options }, putEndpointSpec);
}

export async function getWorkspaceCurrent(client: MachineLearningClient, resourceGroupName: string, workspaceName: string, options?: OperationOptions): Promise<WorkspaceCurrent> {
  return client.sendOperationRequest({ resourceGroupName, workspaceName, options }, getWorkspaceSpec);
}
