import type { AssetContainer, AssetVersionRecord } from "./assetVersions";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Fault } from "./scenario";
import type { WorkspaceRef } from "./ids";
import type { RequestLogEntry } from "./requestLog";

/**
 * Everything the simulator knows, as plain JSON so it can be written to a state file after every
 * request and read back by a restarted process. Times are ISO strings of the simulated clock.
 */

export interface LatencyConfig {
  endpointSeconds: number;
  deploymentSeconds: number;
  deploymentUpdateSeconds: number;
  propagationSeconds: number;
  trafficUpdateSeconds: number;
  endpointDeleteSeconds: number;
  deploymentDeleteSeconds: number;
  principalReplicationSeconds: number;
}

/**
 * Realistic defaults (issue 3): endpoint 90 s, deployment 720 s, propagation 900 s — the docs say a
 * role "might take more than 15 minutes" to take effect (how-to-deploy-for-real-time-inference.md).
 */
export const DEFAULT_LATENCY: Readonly<LatencyConfig> = {
  endpointSeconds: 90,
  deploymentSeconds: 720,
  deploymentUpdateSeconds: 720,
  propagationSeconds: 900,
  trafficUpdateSeconds: 30,
  endpointDeleteSeconds: 120,
  deploymentDeleteSeconds: 120,
  principalReplicationSeconds: 60,
};

export interface PollingConfig {
  /** Swagger: Retry-After on a 202 is integer seconds, min 10 (README wire facts (a)). */
  locationRetryAfterSeconds: number;
  /** The recording's Azure-AsyncOperation answers carry no Retry-After: null. */
  statusRetryAfterSeconds: number | null;
}

export const DEFAULT_POLLING: Readonly<PollingConfig> = {
  locationRetryAfterSeconds: 10,
  statusRetryAfterSeconds: null,
};

export interface UserAssignedIdentityRecord {
  id: string;
  principalId: string;
  clientId: string;
}

export interface EndpointIdentity {
  /** `None`, `SystemAssigned`, `UserAssigned` or `SystemAssigned,UserAssigned`. */
  type: string;
  principalId?: string;
  tenantId?: string;
  /** Keyed by the identity's ARM id as the client sent it. */
  userAssigned: Record<string, { principalId: string; clientId: string }>;
}

export interface EndpointRecord {
  id: string;
  name: string;
  workspace: WorkspaceRef;
  location: string;
  kind: string;
  tags: Record<string, string>;
  sku?: unknown;
  identity: EndpointIdentity;
  description: string | null;
  properties: Record<string, string>;
  authMode: string;
  compute: string | null;
  /**
   * As last PUT; a PUT without it makes the endpoint public again ("Enabled" is the default:
   * reference-yaml-endpoint-online, `public_network_access`). Absent in state saved before it was kept.
   */
  publicNetworkAccess?: "Enabled" | "Disabled";
  /** Mirrored traffic (deployment → percent) as last PUT at an api-version that has it. */
  mirrorTraffic?: Record<string, number>;
  /** Traffic as last PUT (what GET shows). */
  traffic: Record<string, number>;
  /** Traffic the scoring front end routes by: applied when the update operation succeeds. */
  effectiveTraffic: Record<string, number>;
  keys: { primaryKey: string; secondaryKey: string };
  createdAt: string;
  lastModifiedAt: string;
  /** Name of the latest long-running operation on this endpoint. */
  operation?: string;
  /** The create operation succeeded: identity visible, scoring URI live. */
  created: boolean;
}

export interface DeploymentRecord {
  id: string;
  name: string;
  endpointKey: string;
  workspace: WorkspaceRef;
  location: string;
  kind: string;
  tags: Record<string, string>;
  sku?: unknown;
  /** Only when the PUT body had one (the spec example does; managed deployments use the endpoint's). */
  identity?: EndpointIdentity;
  /** The properties as GET shows them, without provisioningState (derived). */
  properties: Record<string, unknown>;
  createdAt: string;
  lastModifiedAt: string;
  operation?: string;
  /** Has reached Succeeded at least once, so it has instances that answer. */
  serving: boolean;
  /** Set by seeding when no model version says which flow this is. */
  flow?: "standard" | "chat";
  /** What the inference server logged when the container could not start (e.g. an import error). */
  containerLog?: string[];
}

/** A model container: an asset container, kept with its workspace. */
export interface ModelContainerRecord extends AssetContainer {
  workspace: WorkspaceRef;
}

export interface ModelVersionRecord extends AssetVersionRecord {
  workspace: WorkspaceRef;
  flavors: Record<string, unknown>;
  modelType: string;
  modelUri: string | null;
  jobName?: string;
}

export interface RoleAssignmentRecord {
  id: string;
  name: string;
  /** With a leading slash, as responses show it. */
  scope: string;
  roleGuid: string;
  principalId: string;
  principalType: string;
  description?: string;
  condition?: string;
  conditionVersion?: string;
  createdOn: string;
  updatedOn: string;
  createdBy: string;
  updatedBy: string;
}

export interface PrincipalRecord {
  principalId: string;
  /** What owns it: an endpoint id (system-assigned) or a user-assigned identity id. */
  source: string;
  /** When it appears in the directory; null = never (its endpoint failed to provision). */
  existsFrom: string | null;
}

export interface OperationRecord {
  /** `oeidp:{workspaceGuid}:{operationGuid}` (endpoints) or `odidp:...` (deployments), as recorded. */
  name: string;
  subscriptionId: string;
  region: string;
  resourceType: "onlineEndpoint" | "onlineDeployment";
  resourceKey: string;
  resourceId: string;
  action: "create" | "update" | "delete" | "regenerateKeys";
  startTime: string;
  durationSeconds: number;
  failure?: { code: string; message: string };
  /** Its effects on the resources have been applied (done lazily when time has passed its end). */
  applied: boolean;
  pendingTraffic?: Record<string, number>;
}

export interface TokenRecord {
  endpointKey: string;
  accessToken: string;
  expiresAt: string;
}

export interface FaultState {
  fault: Fault;
  /** Matching requests it still affects; -1 = forever. */
  remaining: number;
}

export interface SimState {
  format: "flowdeploy-simulator-state";
  version: 1;
  /** Simulated time the simulator first started (faults' afterSeconds count from here). */
  startedAt: string;
  /** Latest simulated time seen (a restarted scaled clock never runs backwards from it). */
  lastNow: string;
  location: string;
  tenantId: string;
  defaultWorkspace: WorkspaceRef;
  latency: LatencyConfig;
  polling: PollingConfig;
  takenEndpointNames: string[];
  /** Identities the caller may attach (`*`: all); absent in older state files, which means all. */
  callerAssignableIdentities?: "*" | string[];
  endpoints: Record<string, EndpointRecord>;
  deployments: Record<string, DeploymentRecord>;
  modelContainers: Record<string, ModelContainerRecord>;
  modelVersions: Record<string, ModelVersionRecord>;
  roleAssignments: Record<string, RoleAssignmentRecord>;
  principals: Record<string, PrincipalRecord>;
  userAssignedIdentities: Record<string, UserAssignedIdentityRecord>;
  operations: Record<string, OperationRecord>;
  tokens: TokenRecord[];
  /** Every key and token ever issued (for leak scans). */
  secrets: string[];
  faults: FaultState[];
  /** Smooth weighted round-robin counters per endpoint key. */
  routing: Record<string, Record<string, number>>;
  requestLog: RequestLogEntry[];
  nextRequestSeq: number;
}

export const STATE_FORMAT = "flowdeploy-simulator-state";

/** Reads a state file written by `saveStateFile`; undefined when the file does not exist. */
export function loadStateFile(file: string): SimState | undefined {
  if (!existsSync(file)) return undefined;
  const data = JSON.parse(readFileSync(file, "utf8")) as Partial<SimState>;
  if (data.format !== STATE_FORMAT || data.version !== 1) {
    throw new Error(`${file} is not a flowdeploy simulator state file (format ${String(data.format)}, version ${String(data.version)})`);
  }
  return data as SimState;
}

/**
 * Writes atomically (temp file + rename) so a crash never leaves a half-written state file. The
 * state holds endpoint keys and tokens, and so does the temp file: it is readable by its owner only
 * (the rename keeps that mode), and removed when the write or the rename fails. A process killed
 * between the two (SIGKILL runs no code) leaves it behind: `removeStaleTempFiles` removes it when
 * a simulator next opens or closes the state file.
 */
export function saveStateFile(file: string, state: SimState): void {
  const tmp = tempFileFor(file, process.pid);
  try {
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** `simulator-state.json.<pid>.tmp`: the temp file a process writes `file` through. */
export function tempFileFor(file: string, pid: number): string {
  return `${file}.${pid}.tmp`;
}

/**
 * Removes the temp files of `file` left by processes that no longer run (killed mid-write), and
 * this process's own; a live process's temp file is its write in progress and is left alone.
 * Returns the paths removed.
 */
export function removeStaleTempFiles(file: string): string[] {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const pid = Number(name.slice(prefix.length, -".tmp".length));
    if (!Number.isInteger(pid) || pid <= 0 || (pid !== process.pid && isRunning(pid))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
