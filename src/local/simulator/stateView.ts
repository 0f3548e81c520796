import { findBuiltinRole } from "./builtinRoles";
import { cloneJson } from "./json";
import { operationEndTime, operationStatus } from "./lroOperations";
import { countByOperation } from "./requestLog";
import { deploymentsOf, latestOperation, provisioningState } from "./resourceLookup";
import type { Fault } from "./scenario";
import { scoringUri } from "./scoringUris";
import type { LatencyConfig, PollingConfig, SimState } from "./stateStore";

/**
 * What `GET /_simulator/state` and `simulator.state()` show: resources with their derived states,
 * traffic (as PUT and as routed), role assignments with creation and effective times, keys and tokens,
 * operations, remaining faults and request counts. It contains secrets on purpose (a local test tool).
 */

export interface DeploymentStateView {
  id: string;
  name: string;
  provisioningState: string;
  serving: boolean;
  model: string | null;
  /** As PUT (the container's environment: PROMPTFLOW_RUN_MODE, AZURE_CLIENT_ID, ...). */
  environmentVariables: Record<string, string>;
  /** As PUT (OnlineRequestSettings), or Azure's defaults. */
  requestSettings: Record<string, unknown>;
  environmentId: string | null;
  tags: Record<string, string>;
  error?: { code: string; message: string };
}

export interface EndpointStateView {
  id: string;
  name: string;
  location: string;
  provisioningState: string;
  authMode: string;
  publicNetworkAccess: "Enabled" | "Disabled";
  mirrorTraffic: Record<string, number>;
  tags: Record<string, string>;
  identity: { type: string; principalId?: string; userAssignedIdentities: Record<string, { principalId: string; clientId: string }> };
  traffic: Record<string, number>;
  effectiveTraffic: Record<string, number>;
  keys: { primaryKey: string; secondaryKey: string };
  scoringUri: string | null;
  createdAt: string;
  deployments: DeploymentStateView[];
}

export interface RoleAssignmentStateView {
  id: string;
  name: string;
  scope: string;
  roleDefinitionId: string;
  roleName: string;
  principalId: string;
  principalType: string;
  createdOn: string;
  /** createdOn + propagationSeconds: when scoring starts to see it. */
  effectiveAt: string;
}

export interface OperationStateView {
  name: string;
  resourceId: string;
  action: string;
  status: string;
  startTime: string;
  endTime: string;
  error?: { code: string; message: string };
}

export interface SimulatorStateView {
  now: string;
  startedAt: string;
  latency: LatencyConfig;
  polling: PollingConfig;
  endpoints: EndpointStateView[];
  models: Array<{ id: string; name: string; version: string; modelUri: string | null; properties: Record<string, string> }>;
  roleAssignments: RoleAssignmentStateView[];
  principals: Array<{ principalId: string; source: string; existsFrom: string | null }>;
  operations: OperationStateView[];
  tokens: Array<{ endpointId: string; accessToken: string; expiresAt: string }>;
  faults: Array<Fault & { remaining: number }>;
  requestCounts: Record<string, number>;
}

export function buildStateView(state: SimState, now: Date, baseUrl: string): SimulatorStateView {
  const endpoints = Object.values(state.endpoints).map((e): EndpointStateView => {
    const deployments = deploymentsOf(state, e).map((d): DeploymentStateView => {
      const op = latestOperation(state, d.operation);
      const ps = provisioningState(state, d.operation, now);
      return {
        id: d.id,
        name: d.name,
        provisioningState: ps,
        serving: d.serving,
        model: typeof d.properties["model"] === "string" ? d.properties["model"] : null,
        environmentVariables: { ...((d.properties["environmentVariables"] as Record<string, string> | undefined) ?? {}) },
        requestSettings: { ...((d.properties["requestSettings"] as Record<string, unknown> | undefined) ?? {}) },
        environmentId: typeof d.properties["environmentId"] === "string" ? d.properties["environmentId"] : null,
        tags: { ...d.tags },
        ...(ps === "Failed" && op?.failure ? { error: { ...op.failure } } : {}),
      };
    });
    return {
      id: e.id,
      name: e.name,
      location: e.location,
      provisioningState: provisioningState(state, e.operation, now),
      authMode: e.authMode,
      publicNetworkAccess: e.publicNetworkAccess ?? "Enabled",
      mirrorTraffic: { ...e.mirrorTraffic },
      tags: { ...e.tags },
      identity: {
        type: e.identity.type,
        ...(e.identity.principalId ? { principalId: e.identity.principalId } : {}),
        userAssignedIdentities: cloneJson(e.identity.userAssigned),
      },
      traffic: { ...e.traffic },
      effectiveTraffic: { ...e.effectiveTraffic },
      keys: { ...e.keys },
      scoringUri: e.created ? scoringUri(baseUrl, e.name) : null,
      createdAt: e.createdAt,
      deployments,
    };
  });
  const propagationMs = state.latency.propagationSeconds * 1000;
  return {
    now: now.toISOString(),
    startedAt: state.startedAt,
    latency: { ...state.latency },
    polling: { ...state.polling },
    endpoints,
    models: Object.values(state.modelVersions).map((m) => ({ id: m.id, name: m.name, version: m.version, modelUri: m.modelUri, properties: { ...m.properties } })),
    roleAssignments: Object.values(state.roleAssignments).map((ra) => ({
      id: ra.id,
      name: ra.name,
      scope: ra.scope,
      roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${ra.roleGuid}`,
      roleName: findBuiltinRole(ra.roleGuid)?.roleName ?? ra.roleGuid,
      principalId: ra.principalId,
      principalType: ra.principalType,
      createdOn: ra.createdOn,
      effectiveAt: new Date(new Date(ra.createdOn).getTime() + propagationMs).toISOString(),
    })),
    principals: Object.values(state.principals).map((p) => ({ ...p })),
    operations: Object.values(state.operations).map((op) => ({
      name: op.name,
      resourceId: op.resourceId,
      action: op.action,
      status: operationStatus(op, now),
      startTime: op.startTime,
      endTime: operationEndTime(op).toISOString(),
      ...(op.failure ? { error: { ...op.failure } } : {}),
    })),
    tokens: state.tokens.map((t) => ({ endpointId: state.endpoints[t.endpointKey]?.id ?? t.endpointKey, accessToken: t.accessToken, expiresAt: t.expiresAt })),
    faults: state.faults.map((f) => ({ ...cloneJson(f.fault), remaining: f.remaining })),
    requestCounts: countByOperation(state.requestLog),
  };
}

