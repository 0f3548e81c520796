import { ArmError, badArgument, conflict, resourceNotFound } from "./armErrors";
import { issueEndpointKeys, issueToken, newEndpointKey, TOKEN_REFRESH_AFTER_SECONDS } from "./credentials";
import { takeProvisioningFault, provisioningFailure } from "./faults";
import { empty, json, type SimResponse } from "./httpResponse";
import { endpointId, resourceKey, stableGuid, type WorkspaceRef } from "./ids";
import { createEndpointIdentity, identityView } from "./identities";
import { isRecord, optionalString, stringMap } from "./json";
import {
  ASYNC_OPERATION_TIMEOUT,
  ML_API_VERSION,
  hasMirrorTraffic,
  operationEndTime,
  regionSlug,
  acceptedWithLocation,
  startOperation,
  statusUrl,
} from "./lroOperations";
import { requireParam, type RequestContext } from "./requestContext";
import { findEndpoint, latestOperation, provisioningState, runningOperation } from "./resourceLookup";
import { ENDPOINT_NAME_PATTERN } from "./scenario";
import { noteMirrorTraffic, startMirrorHistory } from "./scoringTelemetry";
import { scoringUri, swaggerUri } from "./scoringUris";
import type { EndpointRecord, SimState } from "./stateStore";
import { systemData } from "./systemData";
import { validateMirrorTraffic, validateTraffic } from "./traffic";
import { workspaceFromParams } from "./workspaces";

/** onlineEndpoints: createOrUpdate / get / list / update / delete / listKeys / getToken / regenerateKeys. */

const ENDPOINT_TYPE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";
const AUTH_MODES = ["AMLToken", "Key", "AADToken"];

export function endpointNotFound(ws: WorkspaceRef, name: string): ArmError {
  return resourceNotFound(`Microsoft.MachineLearningServices/workspaces/${ws.workspace}/onlineEndpoints`, name, ws.resourceGroup);
}

function requireEndpoint(ctx: RequestContext): { ws: WorkspaceRef; endpoint: EndpointRecord } {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "endpointName");
  const endpoint = findEndpoint(ctx.state, ws, name);
  if (!endpoint) throw endpointNotFound(ws, name);
  return { ws, endpoint };
}

/**
 * The endpoint as GET shows it (onlineEndpoints.get.json + the recorded GET). `includeIdentity` is
 * false for the 201 PUT answer, which has no identity block (README wire facts (e)); GET shows it once
 * the create operation succeeded.
 */
export function endpointView(state: SimState, endpoint: EndpointRecord, now: Date, baseUrl: string, includeIdentity: boolean, apiVersion: string | null = ML_API_VERSION): Record<string, unknown> {
  const op = latestOperation(state, endpoint.operation);
  const innerProperties: Record<string, string> = { ...endpoint.properties };
  if (endpoint.created) innerProperties["azureml.onlineendpointid"] = endpoint.id.toLowerCase();
  if (op) innerProperties["AzureAsyncOperationUri"] = statusUrl(baseUrl, op);
  const view: Record<string, unknown> = {
    id: endpoint.id,
    name: endpoint.name,
    type: ENDPOINT_TYPE,
    properties: {
      description: endpoint.description,
      properties: innerProperties,
      // Recorded: scoringUri/swaggerUri are null until the endpoint has been created.
      scoringUri: endpoint.created ? scoringUri(baseUrl, endpoint.name) : null,
      swaggerUri: endpoint.created ? swaggerUri(baseUrl, endpoint.name) : null,
      authMode: endpoint.authMode,
      provisioningState: provisioningState(state, endpoint.operation, now),
      compute: endpoint.compute,
      publicNetworkAccess: endpoint.publicNetworkAccess ?? "Enabled",
      traffic: { ...endpoint.traffic },
      ...(hasMirrorTraffic(apiVersion) ? { mirrorTraffic: { ...endpoint.mirrorTraffic } } : {}),
    },
    systemData: systemData(endpoint.createdAt, endpoint.lastModifiedAt),
    tags: { ...endpoint.tags },
    location: endpoint.location,
    kind: endpoint.kind,
  };
  const identity = includeIdentity && endpoint.created ? identityView(endpoint.identity) : undefined;
  if (identity) view["identity"] = identity;
  if (endpoint.sku !== undefined) view["sku"] = endpoint.sku;
  return view;
}

interface EndpointInput {
  location: string;
  kind: string;
  tags: Record<string, string>;
  sku?: unknown;
  identity: unknown;
  description: string | null;
  properties: Record<string, string>;
  authMode: string;
  compute: string | null;
  publicNetworkAccess: "Enabled" | "Disabled";
  traffic: unknown;
  /** Absent at an api-version without the field (2022-10-01). */
  mirrorTraffic?: unknown;
  hasMirrorTraffic: boolean;
}

const PUBLIC_NETWORK_ACCESS = ["Enabled", "Disabled"] as const;

/**
 * A PUT replaces the endpoint: without `publicNetworkAccess` it is "Enabled" (the documented default,
 * reference-yaml-endpoint-online `public_network_access`), so a caller that PUTs back an endpoint
 * without the field it read turns a private endpoint public. Values outside the enum
 * (mfe.json PublicNetworkAccessType) are refused.
 */
function parsePublicNetworkAccess(value: unknown): "Enabled" | "Disabled" {
  if (value === undefined || value === null) return "Enabled";
  const found = PUBLIC_NETWORK_ACCESS.find((v) => typeof value === "string" && v.toLowerCase() === value.toLowerCase());
  if (!found) throw badArgument(`properties.publicNetworkAccess '${String(value)}' is not one of ${PUBLIC_NETWORK_ACCESS.join(", ")}.`);
  return found;
}

/** The simulator's caller (the Function App's identity), as ARM names it in authorization errors. */
const CALLER_OBJECT_ID = stableGuid("flowdeploy-simulator-caller");

/**
 * Attaching a user-assigned identity is a linked action: ARM checks
 * `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action` on each identity and answers 403
 * LinkedAuthorizationFailed when the caller lacks it ("...has permission to perform action '<write>'
 * on scope '<resource>'; however, it does not have permission to perform action
 * 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '<ids>' or
 * the linked scope(s) are invalid." — the message recorded in Azure/aad-pod-identity issues #443 and
 * #613). Managed Identity Operator grants it.
 */
function assertCallerMayAssign(state: SimState, endpointId: string, identity: unknown): void {
  const allowed = state.callerAssignableIdentities ?? "*";
  if (allowed === "*" || !isRecord(identity) || !isRecord(identity["userAssignedIdentities"])) return;
  const lacking = Object.keys(identity["userAssignedIdentities"]).filter((id) => !allowed.some((a) => a.toLowerCase() === id.toLowerCase()));
  if (lacking.length === 0) return;
  throw new ArmError(
    403,
    "LinkedAuthorizationFailed",
    `The client '${CALLER_OBJECT_ID}' with object id '${CALLER_OBJECT_ID}' has permission to perform action 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write' on scope '${endpointId}'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${lacking.join(",")}' or the linked scope(s) are invalid.`,
  );
}

function parseEndpointBody(body: unknown, apiVersion: string | null): EndpointInput {
  if (!isRecord(body)) throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
  const location = optionalString(body["location"]);
  if (!location) throw new ArmError(400, "LocationRequired", "The location property is required for this definition.");
  const props = body["properties"];
  if (!isRecord(props)) throw badArgument("properties is required.");
  const authMode = optionalString(props["authMode"]);
  // mfe.json: authMode is the only required property of EndpointPropertiesBase.
  if (!authMode) throw badArgument("properties.authMode is required.");
  const normalizedAuth = AUTH_MODES.find((m) => m.toLowerCase() === authMode.toLowerCase());
  if (!normalizedAuth) throw badArgument(`properties.authMode '${authMode}' is not one of ${AUTH_MODES.join(", ")}.`);
  return {
    location,
    kind: optionalString(body["kind"]) ?? "Managed",
    tags: stringMap(body["tags"]),
    ...(body["sku"] !== undefined ? { sku: body["sku"] } : {}),
    identity: body["identity"],
    description: optionalString(props["description"]) ?? null,
    properties: stringMap(props["properties"]),
    authMode: normalizedAuth,
    compute: optionalString(props["compute"]) ?? null,
    publicNetworkAccess: parsePublicNetworkAccess(props["publicNetworkAccess"]),
    traffic: props["traffic"],
    hasMirrorTraffic: hasMirrorTraffic(apiVersion),
    ...(hasMirrorTraffic(apiVersion) ? { mirrorTraffic: props["mirrorTraffic"] } : {}),
  };
}

function lroHeaders(ctx: RequestContext, opName: string): Record<string, string> {
  const op = ctx.state.operations[opName];
  if (!op) throw new Error(`operation ${opName} missing`);
  return { "Azure-AsyncOperation": statusUrl(ctx.baseUrl, op), "x-ms-async-operation-timeout": ASYNC_OPERATION_TIMEOUT };
}

function assertNameAvailable(state: SimState, ws: WorkspaceRef, name: string, location: string): void {
  const lower = name.toLowerCase();
  const ownKey = resourceKey(endpointId(ws, name));
  const takenHere = Object.values(state.endpoints).some(
    (e) => resourceKey(e.id) !== ownKey && e.name.toLowerCase() === lower && regionSlug(e.location) === regionSlug(location),
  );
  if (takenHere || state.takenEndpointNames.some((n) => n.toLowerCase() === lower)) {
    // Endpoint names are DNS labels of {name}.{region}.inference.ml.azure.com: unique per region.
    throw conflict(`Endpoint name '${name}' is already in use in region '${regionSlug(location)}'. Online endpoint names must be unique within an Azure region.`);
  }
}

export function createOrUpdateEndpoint(ctx: RequestContext): SimResponse {
  const { state, now } = ctx;
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "endpointName");
  if (!ENDPOINT_NAME_PATTERN.test(name)) {
    throw badArgument(`Endpoint name '${name}' is invalid: use 3-32 letters, digits and hyphens, starting with a letter and not ending with a hyphen.`);
  }
  const input = parseEndpointBody(ctx.body, ctx.query.get("api-version"));
  assertCallerMayAssign(state, endpointId(ws, name), input.identity);
  const existing = findEndpoint(state, ws, name);
  if (existing) {
    const running = runningOperation(state, existing.operation, now);
    if (running) {
      throw conflict(`Endpoint '${name}' has an operation in progress (${provisioningState(state, existing.operation, now)}); wait for it to finish before changing the endpoint.`);
    }
    if (existing.created) return updateEndpoint(ctx, existing, input);
    // A PUT on an endpoint whose creation failed retries the creation.
    delete state.endpoints[resourceKey(existing.id)];
  }
  assertNameAvailable(state, ws, name, input.location);
  const traffic = validateTraffic(state, undefined, input.traffic, now);
  if (isRecord(input.mirrorTraffic) && Object.values(input.mirrorTraffic).some((v) => v !== 0)) {
    throw badArgument("Mirror traffic cannot be set when an endpoint is created: it has no deployments yet.");
  }

  const id = endpointId(ws, name);
  const duration = state.latency.endpointSeconds;
  const identity = createEndpointIdentity(state, input.identity, id, new Date(now.getTime() + duration * 1000));
  const fault = takeProvisioningFault(state, { operation: "onlineEndpoints.createOrUpdate", endpoint: name }, now);
  if (fault) ctx.appliedFault = "provisioningError";
  const endpoint: EndpointRecord = {
    id,
    name,
    workspace: ws,
    location: input.location,
    kind: input.kind,
    tags: input.tags,
    ...(input.sku !== undefined ? { sku: input.sku } : {}),
    identity,
    description: input.description,
    properties: input.properties,
    authMode: input.authMode,
    compute: input.compute,
    publicNetworkAccess: input.publicNetworkAccess,
    traffic,
    effectiveTraffic: {},
    keys: issueEndpointKeys(state),
    createdAt: now.toISOString(),
    lastModifiedAt: now.toISOString(),
    created: false,
  };
  state.endpoints[resourceKey(id)] = endpoint;
  const op = startOperation(state, {
    resourceType: "onlineEndpoint",
    resourceKey: resourceKey(id),
    resourceId: id,
    workspace: ws,
    region: input.location,
    action: "create",
    now,
    durationSeconds: duration,
    ...(fault ? { failure: provisioningFailure(fault) } : {}),
  });
  endpoint.operation = op.name;
  // Recorded 201: Location = the endpoint's own URL, Azure-AsyncOperation = the status URL.
  return json(201, endpointView(state, endpoint, now, ctx.baseUrl, false, ctx.query.get("api-version")), {
    ...lroHeaders(ctx, op.name),
    Location: `${ctx.baseUrl}${id}?api-version=${ML_API_VERSION}`,
  });
}

function updateEndpoint(ctx: RequestContext, endpoint: EndpointRecord, input: EndpointInput): SimResponse {
  const { state, now } = ctx;
  // A PUT without properties.traffic keeps the current split (see docs/simulator.md, "not modelled").
  const traffic = input.traffic === undefined ? { ...endpoint.traffic } : validateTraffic(state, endpoint, input.traffic, now);
  const mirror = input.hasMirrorTraffic ? validateMirrorTraffic(state, endpoint, input.mirrorTraffic, traffic) : {};
  const fault = takeProvisioningFault(state, { operation: "onlineEndpoints.createOrUpdate", endpoint: endpoint.name }, now);
  if (fault) ctx.appliedFault = "provisioningError";
  endpoint.description = input.description;
  endpoint.properties = input.properties;
  endpoint.tags = input.tags;
  endpoint.authMode = input.authMode;
  endpoint.compute = input.compute;
  endpoint.publicNetworkAccess = input.publicNetworkAccess;
  endpoint.traffic = traffic;
  const mirrorBefore = { ...endpoint.mirrorTraffic };
  // A PUT at an api-version without mirrorTraffic drops the mirror: the safe-rollout how-to warns that
  // older CLIs and SDKs "silently drop" it when they update an endpoint.
  endpoint.mirrorTraffic = input.hasMirrorTraffic ? mirror : {};
  endpoint.lastModifiedAt = now.toISOString();
  const op = startOperation(state, {
    resourceType: "onlineEndpoint",
    resourceKey: resourceKey(endpoint.id),
    resourceId: endpoint.id,
    workspace: endpoint.workspace,
    region: endpoint.location,
    action: "update",
    now,
    durationSeconds: state.latency.trafficUpdateSeconds,
    pendingTraffic: traffic,
    ...(fault ? { failure: provisioningFailure(fault) } : {}),
  });
  endpoint.operation = op.name;
  // The front end copies by the new mirror split once the update succeeds, as it routes by the new
  // traffic split then; a failed update (its failure is known now) leaves the split in force so far.
  startMirrorHistory(state, resourceKey(endpoint.id), new Date(endpoint.createdAt), mirrorBefore);
  if (!fault) noteMirrorTraffic(state, resourceKey(endpoint.id), operationEndTime(op), endpoint.mirrorTraffic);
  // An update of an existing resource answers 200 (swagger: 200 and 201 carry the resource body).
  return json(200, endpointView(state, endpoint, now, ctx.baseUrl, true, ctx.query.get("api-version")), lroHeaders(ctx, op.name));
}

export function getEndpoint(ctx: RequestContext): SimResponse {
  const { endpoint } = requireEndpoint(ctx);
  return json(200, endpointView(ctx.state, endpoint, ctx.now, ctx.baseUrl, true, ctx.query.get("api-version")));
}

export function listEndpoints(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const prefix = resourceKey(endpointId(ws, ""));
  const value = Object.entries(ctx.state.endpoints)
    .filter(([key]) => key.startsWith(prefix))
    .map(([, e]) => endpointView(ctx.state, e, ctx.now, ctx.baseUrl, true, ctx.query.get("api-version")));
  return json(200, { value });
}

/** Swagger: DELETE answers 202 with Location + Retry-After (README wire facts (a)); 204 if absent. */
export function deleteEndpoint(ctx: RequestContext): SimResponse {
  const { state, now } = ctx;
  const ws = workspaceFromParams(ctx);
  const endpoint = findEndpoint(state, ws, requireParam(ctx, "endpointName"));
  if (!endpoint) return empty(204);
  const running = runningOperation(state, endpoint.operation, now);
  if (running && running.action !== "delete") {
    throw conflict(`Endpoint '${endpoint.name}' has an operation in progress (${provisioningState(state, endpoint.operation, now)}); wait for it to finish before deleting it.`);
  }
  const op =
    running ??
    startOperation(state, {
      resourceType: "onlineEndpoint",
      resourceKey: resourceKey(endpoint.id),
      resourceId: endpoint.id,
      workspace: ws,
      region: endpoint.location,
      action: "delete",
      now,
      durationSeconds: state.latency.endpointDeleteSeconds,
    });
  endpoint.operation = op.name;
  return acceptedWithLocation(ctx, op, { retryAfter: true });
}

/** PATCH (tags + identity only). Recorded: 202 with Location (mfeOperationResults), no Retry-After. */
export function patchEndpoint(ctx: RequestContext): SimResponse {
  const { state, now } = ctx;
  const { endpoint } = requireEndpoint(ctx);
  if (runningOperation(state, endpoint.operation, now)) {
    throw conflict(`Endpoint '${endpoint.name}' has an operation in progress; wait for it to finish.`);
  }
  if (isRecord(ctx.body) && ctx.body["tags"] !== undefined) endpoint.tags = stringMap(ctx.body["tags"]);
  endpoint.lastModifiedAt = now.toISOString();
  const op = startOperation(state, {
    resourceType: "onlineEndpoint",
    resourceKey: resourceKey(endpoint.id),
    resourceId: endpoint.id,
    workspace: endpoint.workspace,
    region: endpoint.location,
    action: "update",
    now,
    durationSeconds: state.latency.trafficUpdateSeconds,
    pendingTraffic: { ...endpoint.effectiveTraffic },
  });
  endpoint.operation = op.name;
  return acceptedWithLocation(ctx, op, { retryAfter: false });
}

export function listEndpointKeys(ctx: RequestContext): SimResponse {
  const { endpoint } = requireEndpoint(ctx);
  return json(200, { primaryKey: endpoint.keys.primaryKey, secondaryKey: endpoint.keys.secondaryKey });
}

/** getToken: `{accessToken, tokenType, expiryTimeUtc, refreshAfterTimeUtc}`, times in epoch seconds. */
export function getEndpointToken(ctx: RequestContext): SimResponse {
  const { endpoint } = requireEndpoint(ctx);
  const token = issueToken(ctx.state, resourceKey(endpoint.id), ctx.now);
  const nowSeconds = Math.floor(ctx.now.getTime() / 1000);
  return json(200, {
    accessToken: token.accessToken,
    tokenType: "Bearer",
    expiryTimeUtc: Math.floor(new Date(token.expiresAt).getTime() / 1000),
    refreshAfterTimeUtc: nowSeconds + TOKEN_REFRESH_AFTER_SECONDS,
  });
}

/** regenerateKeys (LRO, final-state-via location): the new key is live at once. */
export function regenerateEndpointKeys(ctx: RequestContext): SimResponse {
  const { state, now } = ctx;
  const { endpoint } = requireEndpoint(ctx);
  const body = isRecord(ctx.body) ? ctx.body : {};
  const keyType = optionalString(body["keyType"]);
  if (keyType !== "Primary" && keyType !== "Secondary") throw badArgument("keyType must be Primary or Secondary.");
  const value = optionalString(body["keyValue"]) ?? newEndpointKey();
  state.secrets.push(value);
  if (keyType === "Primary") endpoint.keys.primaryKey = value;
  else endpoint.keys.secondaryKey = value;
  const op = startOperation(state, {
    resourceType: "onlineEndpoint",
    resourceKey: resourceKey(endpoint.id),
    resourceId: endpoint.id,
    workspace: endpoint.workspace,
    region: endpoint.location,
    action: "regenerateKeys",
    now,
    durationSeconds: 0,
  });
  endpoint.operation = op.name;
  return acceptedWithLocation(ctx, op, { retryAfter: true });
}
