import type { AzureMachineLearningWorkspaces, OnlineDeployment } from "@azure/arm-machinelearning";
import { getOrUndefined } from "../activities/arm";
import { shareOf } from "../activities/deploymentList";
import { isManaged } from "../activities/managed";
import { getOnlineEndpoint } from "../azure/mlOperations";
import { environmentNameAndVersion } from "../contracts/deployRequest";
import type { Clock } from "../domain/clock";
import { buildInventory, type Inventory, type InventoryError, type ObservedDeployment, type WorkspaceTarget } from "./model";

/**
 * Reads the migration backlog of some workspaces through the real SDK: every online endpoint
 * (OnlineEndpoints – List, then Get at the current api-version for its traffic and mirror maps, which
 * the SDK's 2022-10-01 models drop), every deployment of each (OnlineDeployments – List), and each
 * deployment's environment version (EnvironmentVersions – Get) when it is one of the same workspace.
 * Reads only. At most `concurrency` calls are in flight at once, across all workspaces. A workspace
 * that cannot be listed is an entry of `errors` (a code and a message written here, never Azure's
 * text: it can carry principal ids and scopes), and the others are still read.
 */
export interface InventoryDeps {
  ml(subscriptionId: string): AzureMachineLearningWorkspaces;
  clock: Clock;
}

export interface ReadOptions {
  /** Calls to Azure in flight at once (default 8). */
  concurrency?: number;
}

export const DEFAULT_INVENTORY_CONCURRENCY = 8;

export async function readInventory(deps: InventoryDeps, workspaces: readonly WorkspaceTarget[], options: ReadOptions = {}): Promise<Inventory> {
  const limit = limiter(options.concurrency ?? DEFAULT_INVENTORY_CONCURRENCY);
  const observed: ObservedDeployment[] = [];
  const errors: InventoryError[] = [];
  let read = 0;
  await Promise.all(
    unique(workspaces).map(async (ws) => {
      const result = await readWorkspace(deps.ml(ws.subscriptionId), ws, limit);
      if (result.ok) {
        read += 1;
        observed.push(...result.deployments);
        errors.push(...result.errors);
      } else {
        errors.push(result.error);
      }
    }),
  );
  return buildInventory(observed, read, errors, deps.clock.now());
}

type Limit = <T>(call: () => Promise<T>) => Promise<T>;

type WorkspaceResult = { ok: true; deployments: ObservedDeployment[]; errors: InventoryError[] } | { ok: false; error: InventoryError };

async function readWorkspace(ml: AzureMachineLearningWorkspaces, ws: WorkspaceTarget, limit: Limit): Promise<WorkspaceResult> {
  const workspace = { name: ws.name, id: ws.id };
  let names: string[];
  try {
    names = await limit(async () => {
      const found: string[] = [];
      for await (const e of ml.onlineEndpoints.list(ws.resourceGroup, ws.name)) if (e.name) found.push(e.name);
      return found;
    });
  } catch (err) {
    return { ok: false, error: { workspace, ...describeFailure(err, "workspace") } };
  }
  const deployments: ObservedDeployment[] = [];
  const errors: InventoryError[] = [];
  const environments = new Map<string, Promise<string | null | undefined>>();
  /** The image of an environment version (null: none, or the version is gone); undefined when it cannot be read (an error says so). */
  const imageOf = (endpoint: string, name: string, version: string) => {
    const key = `${name.toLowerCase()}:${version.toLowerCase()}`;
    let image = environments.get(key);
    // Read once per workspace: deployments often share an environment version.
    if (!image) {
      image = limit(() => getOrUndefined(() => ml.environmentVersions.get(ws.resourceGroup, ws.name, name, version))).then(
        (env) => env?.properties.image ?? null,
        (err: unknown) => {
          const failure = describeFailure(err, "endpoint");
          errors.push({ workspace, endpoint, code: failure.code, message: `environment ${name}:${version} could not be read (${failure.code}): its image is unknown` });
          return undefined;
        },
      );
      environments.set(key, image);
    }
    return image;
  };
  await Promise.all(
    names.map(async (endpointName) => {
      try {
        // Deleted since the list: nothing to count.
        const endpoint = await limit(() => getOrUndefined(() => getOnlineEndpoint(ml, ws.resourceGroup, ws.name, endpointName)));
        if (!endpoint) return;
        const listed = await limit(async () => {
          const found: OnlineDeployment[] = [];
          for await (const d of ml.onlineDeployments.list(ws.resourceGroup, ws.name, endpointName)) if (d.name) found.push(d);
          return found;
        });
        const seen = await Promise.all(
          listed.map(async (d): Promise<ObservedDeployment> => {
            const p = d.properties;
            const env = p.environmentId ? sameWorkspaceEnvironment(p.environmentId, ws) : undefined;
            const code = p.codeConfiguration;
            return {
              workspace,
              endpoint: endpoint.name ?? endpointName,
              deployment: d.name!,
              trafficPercent: shareOf(endpoint.properties.traffic, d.name!),
              mirrorPercent: shareOf(endpoint.properties.mirrorTraffic, d.name!),
              instanceType: p.instanceType ?? null,
              instanceCount: d.sku?.capacity ?? null,
              image: env ? await imageOf(endpointName, env.name, env.version) : undefined,
              environmentId: p.environmentId ?? null,
              environmentVariables: p.environmentVariables ?? {},
              codeScript: code?.scoringScript ?? null,
              hasCodeConfiguration: Boolean(code?.codeId),
              managed: isManaged(d.tags),
              provisioningState: p.provisioningState ?? null,
            };
          }),
        );
        deployments.push(...seen);
      } catch (err) {
        errors.push({ workspace, endpoint: endpointName, ...describeFailure(err, "endpoint") });
      }
    }),
  );
  return { ok: true, deployments, errors };
}

/**
 * The environment version a deployment names, when it is one of this workspace (`azureml:name:version`
 * or its ARM id). A registry's (`azureml://registries/...`), a curated one, or another workspace's is
 * not read: its image stays unknown (another workspace may be outside the allow-list).
 */
export function sameWorkspaceEnvironment(environmentId: string, ws: WorkspaceTarget): { name: string; version: string } | undefined {
  const ref = environmentNameAndVersion(environmentId);
  if (!ref) return undefined;
  if (!environmentId.startsWith("/")) return ref;
  return environmentId.toLowerCase().startsWith(`${ws.id.toLowerCase()}/environments/`) ? ref : undefined;
}

/** What a failed read says: ARM's error code and a sentence of ours (Azure's message is not passed on). */
export function describeFailure(err: unknown, what: "workspace" | "endpoint"): { code: string; message: string } {
  const e = (err ?? {}) as { statusCode?: unknown; code?: unknown };
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  const armCode = typeof e.code === "string" && /^[A-Za-z][\w.]{0,80}$/.test(e.code) ? e.code : undefined;
  const reads = what === "workspace" ? "its online endpoints" : "its deployments";
  if (status === 404) return { code: armCode ?? "ResourceNotFound", message: `not found (HTTP 404): the ${what} does not exist, or the app cannot see it` };
  if (status === 401 || status === 403) {
    return { code: armCode ?? "AuthorizationFailed", message: `refused (HTTP ${status}): the app's identity may not read ${reads}; it needs Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read and .../onlineEndpoints/deployments/read on the workspace (docs/inventory.md)` };
  }
  if (status === 429) return { code: armCode ?? "TooManyRequests", message: "throttled by Azure Resource Manager (HTTP 429) after the SDK's retries; try again later" };
  if (status !== undefined) return { code: armCode ?? `Http${status}`, message: `Azure answered HTTP ${status} when listing ${reads}` };
  return { code: "Unreachable", message: `Azure Resource Manager could not be reached while listing ${reads}` };
}

/** Workspaces once each (ARM ids compare ignoring case). */
function unique(workspaces: readonly WorkspaceTarget[]): WorkspaceTarget[] {
  const seen = new Set<string>();
  return workspaces.filter((w) => {
    const key = w.id.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** At most `max` calls running at once; the others wait their turn in order. Leaf calls only (a call holding a slot must not wait for another). */
export function limiter(max: number): Limit {
  if (!Number.isInteger(max) || max < 1) throw new Error(`concurrency must be a whole number of at least 1, got ${max}`);
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(call: () => Promise<T>): Promise<T> => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await call();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}
