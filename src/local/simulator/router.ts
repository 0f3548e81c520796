import type { SimResponse } from "./httpResponse";
import * as endpoints from "./onlineEndpoints";
import * as deployments from "./onlineDeployments";
import * as models from "./models";
import * as environments from "./environments";
import * as codes from "./codes";
import { getDatastore } from "./datastores";
import { SIM_STORAGE_ACCOUNT } from "./workspaces";
import * as rbac from "./rbac";
import { getOperationResult, getOperationStatus } from "./operationPolls";
import { ML_API_VERSION, ML_API_VERSION_CURRENT } from "./lroOperations";
import type { RequestContext } from "./requestContext";
import { score, swagger } from "./scoring";
import { getWorkspace } from "./workspaces";
import { getUserAssignedIdentity } from "./identities";
import { listMetrics, METRICS_API_VERSIONS } from "./metrics";

/**
 * Maps a method + normalized path to an operation. ARM path segments that are literals compare
 * case-insensitively (ARM is case-insensitive); `:name` segments become parameters.
 */

export type Handler = (ctx: RequestContext) => SimResponse;

export type RouteKind = "arm" | "scoring" | "storage" | "internal";

export interface Route {
  kind: RouteKind;
  /** Operation name for the request log and fault selection. */
  operation: string;
  params: Record<string, string>;
  /** The api-versions this route accepts (ARM routes only). */
  apiVersions?: readonly string[];
  /** Undefined when the path is known but the method is not: the server answers 405. */
  handler?: Handler;
}

/** The installed SDKs: @azure/arm-machinelearning 2.1.1 sends 2022-10-01; @azure/arm-authorization 9.0.0 sends 2022-04-01. */
/** What the simulator speaks: the SDK's 2022-10-01 and the 2024-10-01 flowdeploy uses for endpoints and workspaces. */
export const ML_API_VERSIONS = [ML_API_VERSION, ML_API_VERSION_CURRENT] as const;
export const AUTHORIZATION_API_VERSIONS = ["2022-04-01"] as const;
/** @azure/arm-msi 2.2.0 sends 2024-11-30. */
export const MSI_API_VERSIONS = ["2024-11-30"] as const;

type MethodTable = Record<string, [string, Handler]>;

interface PatternRoute {
  pattern: string[];
  methods: MethodTable;
}

/** Routes under `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}`. */
const WORKSPACE_ROUTES: PatternRoute[] = [
  { pattern: [], methods: { GET: ["workspaces.get", getWorkspace] } },
  { pattern: ["onlineEndpoints"], methods: { GET: ["onlineEndpoints.list", endpoints.listEndpoints] } },
  {
    pattern: ["onlineEndpoints", ":endpointName"],
    methods: {
      GET: ["onlineEndpoints.get", endpoints.getEndpoint],
      PUT: ["onlineEndpoints.createOrUpdate", endpoints.createOrUpdateEndpoint],
      PATCH: ["onlineEndpoints.update", endpoints.patchEndpoint],
      DELETE: ["onlineEndpoints.delete", endpoints.deleteEndpoint],
    },
  },
  { pattern: ["onlineEndpoints", ":endpointName", "listKeys"], methods: { POST: ["onlineEndpoints.listKeys", endpoints.listEndpointKeys] } },
  { pattern: ["onlineEndpoints", ":endpointName", "token"], methods: { POST: ["onlineEndpoints.getToken", endpoints.getEndpointToken] } },
  { pattern: ["onlineEndpoints", ":endpointName", "regenerateKeys"], methods: { POST: ["onlineEndpoints.regenerateKeys", endpoints.regenerateEndpointKeys] } },
  { pattern: ["onlineEndpoints", ":endpointName", "deployments"], methods: { GET: ["onlineDeployments.list", deployments.listDeployments] } },
  {
    pattern: ["onlineEndpoints", ":endpointName", "deployments", ":deploymentName"],
    methods: {
      GET: ["onlineDeployments.get", deployments.getDeployment],
      PUT: ["onlineDeployments.createOrUpdate", deployments.createOrUpdateDeployment],
      DELETE: ["onlineDeployments.delete", deployments.deleteDeployment],
    },
  },
  {
    pattern: ["onlineEndpoints", ":endpointName", "deployments", ":deploymentName", "getLogs"],
    methods: { POST: ["onlineDeployments.getLogs", deployments.getDeploymentLogs] },
  },
  { pattern: ["models"], methods: { GET: ["modelContainers.list", models.listContainers] } },
  {
    pattern: ["models", ":modelName"],
    methods: { GET: ["modelContainers.get", models.getContainer], PUT: ["modelContainers.createOrUpdate", models.createOrUpdateContainer] },
  },
  { pattern: ["models", ":modelName", "versions"], methods: { GET: ["modelVersions.list", models.listVersions] } },
  {
    pattern: ["models", ":modelName", "versions", ":version"],
    methods: { GET: ["modelVersions.get", models.getVersion], PUT: ["modelVersions.createOrUpdate", models.createOrUpdateVersion] },
  },
  { pattern: ["codes"], methods: { GET: ["codeContainers.list", codes.listCodeContainers] } },
  {
    pattern: ["codes", ":codeName"],
    methods: { GET: ["codeContainers.get", codes.getCodeContainer], PUT: ["codeContainers.createOrUpdate", codes.createOrUpdateCodeContainer] },
  },
  { pattern: ["codes", ":codeName", "versions"], methods: { GET: ["codeVersions.list", codes.listCodeVersions] } },
  {
    pattern: ["codes", ":codeName", "versions", ":version"],
    methods: { GET: ["codeVersions.get", codes.getCodeVersion], PUT: ["codeVersions.createOrUpdate", codes.createOrUpdateCodeVersion] },
  },
  { pattern: ["datastores", ":datastoreName"], methods: { GET: ["datastores.get", getDatastore] } },
  {
    pattern: ["environments", ":environmentName", "versions", ":version"],
    methods: { GET: ["environmentVersions.get", environments.getEnvironmentVersion], PUT: ["environmentVersions.createOrUpdate", environments.createOrUpdateEnvironmentVersion] },
  },
];

/** Routes after `/{scope}/providers/Microsoft.Authorization`. */
const AUTHORIZATION_ROUTES: PatternRoute[] = [
  { pattern: ["roleAssignments"], methods: { GET: ["roleAssignments.listForScope", rbac.listRoleAssignments] } },
  {
    pattern: ["roleAssignments", ":roleAssignmentName"],
    methods: {
      GET: ["roleAssignments.get", rbac.getRoleAssignment],
      PUT: ["roleAssignments.create", rbac.createRoleAssignment],
      DELETE: ["roleAssignments.delete", rbac.deleteRoleAssignment],
    },
  },
  { pattern: ["roleDefinitions"], methods: { GET: ["roleDefinitions.list", rbac.listRoleDefinitions] } },
  { pattern: ["roleDefinitions", ":roleDefinitionId"], methods: { GET: ["roleDefinitions.get", rbac.getRoleDefinition] } },
];

const SCORING_ROUTES: PatternRoute[] = [
  { pattern: ["endpoints", ":endpointName", "score"], methods: { POST: ["score", score] } },
  { pattern: ["endpoints", ":endpointName", "swagger.json"], methods: { GET: ["swagger", swagger] } },
];

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? "";
    const s = segments[i] ?? "";
    if (p.startsWith(":")) params[p.slice(1)] = s;
    else if (p.toLowerCase() !== s.toLowerCase()) return undefined;
  }
  return params;
}

function matchTable(
  table: PatternRoute[],
  method: string,
  segments: string[],
  kind: RouteKind,
  base: Record<string, string>,
  apiVersions?: readonly string[],
): Route | undefined {
  for (const entry of table) {
    const params = matchPattern(entry.pattern, segments);
    if (!params) continue;
    const found = entry.methods[method];
    const route: Route = { kind, operation: found ? found[0] : "unknown", params: { ...base, ...params } };
    if (apiVersions) route.apiVersions = apiVersions;
    if (found) route.handler = found[1];
    return route;
  }
  return undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** The route for a request, or undefined for a path the simulator does not serve (ARM 404). */
export function resolveRoute(method: string, path: string): Route | undefined {
  const segments = path.split("/").filter(Boolean).map(decode);

  if (eq(segments[0], "_simulator") && segments.length === 2) {
    return { kind: "internal", operation: `_simulator.${segments[1] ?? ""}`, params: { action: segments[1] ?? "" } };
  }
  const scoring = matchTable(SCORING_ROUTES, method, segments, "scoring", {});
  if (scoring) return scoring;

  // Blob storage, path-style: `/<account>/<container>/<blob name>` for the workspaces' storage
  // accounts (never an ARM path: those start with `subscriptions`, `providers` or a scope).
  if (segments.length >= 3 && SIM_STORAGE_ACCOUNT.test(segments[0] ?? "")) {
    const params = { account: segments[0] ?? "", container: segments[1] ?? "", blob: segments.slice(2).join("/") };
    const operation = method === "GET" ? "blobs.download" : method === "HEAD" ? "blobs.getProperties" : undefined;
    return { kind: "storage", operation: operation ?? "unknown", params };
  }

  // Authorization first: its scope may itself be an ML path (a workspace id).
  for (let i = segments.length - 2; i >= 0; i--) {
    if (eq(segments[i], "providers") && eq(segments[i + 1], "Microsoft.Authorization")) {
      const scope = `/${segments.slice(0, i).join("/")}`;
      return matchTable(AUTHORIZATION_ROUTES, method, segments.slice(i + 2), "arm", { scope }, AUTHORIZATION_API_VERSIONS);
    }
  }

  // Azure Monitor metrics of any resource: `{resourceUri}/providers/Microsoft.Insights/metrics`.
  const n = segments.length;
  if (n >= 4 && eq(segments[n - 3], "providers") && eq(segments[n - 2], "Microsoft.Insights") && eq(segments[n - 1], "metrics")) {
    const resourceSegments = segments.slice(0, n - 3);
    const params: Record<string, string> = { resourceUri: `/${resourceSegments.join("/")}` };
    // So that a fault's endpoint/deployment filter selects metrics of that endpoint or deployment.
    if (eq(resourceSegments[8], "onlineEndpoints") && resourceSegments[9] !== undefined) params["endpointName"] = resourceSegments[9];
    if (eq(resourceSegments[10], "deployments") && resourceSegments[11] !== undefined) params["deploymentName"] = resourceSegments[11];
    return method === "GET"
      ? { kind: "arm", operation: "metrics.list", params, apiVersions: METRICS_API_VERSIONS, handler: listMetrics }
      : { kind: "arm", operation: "unknown", params };
  }

  if (
    segments.length === 8 &&
    eq(segments[0], "subscriptions") &&
    eq(segments[2], "resourceGroups") &&
    eq(segments[4], "providers") &&
    eq(segments[5], "Microsoft.ManagedIdentity") &&
    eq(segments[6], "userAssignedIdentities")
  ) {
    const params = { subscriptionId: segments[1] ?? "", resourceGroupName: segments[3] ?? "", identityName: segments[7] ?? "" };
    return method === "GET"
      ? { kind: "arm", operation: "userAssignedIdentities.get", params, apiVersions: MSI_API_VERSIONS, handler: getUserAssignedIdentity }
      : { kind: "arm", operation: "unknown", params };
  }

  if (
    eq(segments[0], "subscriptions") &&
    eq(segments[2], "resourceGroups") &&
    eq(segments[4], "providers") &&
    eq(segments[5], "Microsoft.MachineLearningServices") &&
    eq(segments[6], "workspaces") &&
    segments.length >= 8
  ) {
    const base = { subscriptionId: segments[1] ?? "", resourceGroupName: segments[3] ?? "", workspaceName: segments[7] ?? "" };
    return matchTable(WORKSPACE_ROUTES, method, segments.slice(8), "arm", base, ML_API_VERSIONS);
  }

  if (
    segments.length === 8 &&
    eq(segments[0], "subscriptions") &&
    eq(segments[2], "providers") &&
    eq(segments[3], "Microsoft.MachineLearningServices") &&
    eq(segments[4], "locations")
  ) {
    const params = { subscriptionId: segments[1] ?? "", region: segments[5] ?? "", operationName: segments[7] ?? "" };
    if (eq(segments[6], "mfeOperationsStatus")) {
      return method === "GET"
        ? { kind: "arm", operation: "operationStatus.get", params, apiVersions: ML_API_VERSIONS, handler: getOperationStatus }
        : { kind: "arm", operation: "unknown", params };
    }
    if (eq(segments[6], "mfeOperationResults")) {
      return method === "GET"
        ? { kind: "arm", operation: "operationResults.get", params, apiVersions: ML_API_VERSIONS, handler: getOperationResult }
        : { kind: "arm", operation: "unknown", params };
    }
  }
  return undefined;
}
