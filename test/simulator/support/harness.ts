import { readFileSync } from "node:fs";
import { request } from "node:https";
import { resolve } from "node:path";
import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import {
  createAuthorizationClient,
  createMachineLearningClient,
  createScoringClient,
} from "../../../src/azure/clients";
import type { ScoringClient } from "../../../src/activities/scoring";
import { staticTokenCredential } from "../../../src/azure/staticCredential";
import type { Simulator, WorkspaceRef } from "../../../src/local/simulator";

export const repoRoot = resolve(__dirname, "../../..");
/** The official wire examples, vendored from the shared fixtures (see test/fixtures/azure/SOURCE.md). */
export const fixturesDir = resolve(repoRoot, "test/fixtures/azure");

export function loadFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(resolve(fixturesDir, name), "utf8")) as Record<string, unknown>;
}

/** `responses[status].body` of an x-ms-examples fixture. */
export function fixtureBody(name: string, status: string): unknown {
  const responses = loadFixture(name)["responses"] as Record<string, { body?: unknown }>;
  return responses[status]?.body;
}

export interface Clients {
  ws: WorkspaceRef;
  ml: AzureMachineLearningWorkspaces;
  authz: AuthorizationManagementClient;
  scoring: ScoringClient;
}

/** The real SDK clients, built by the product's own constructors, pointed at the simulator. */
export function clientsFor(sim: Simulator, retryDelayInMs = 20): Clients {
  const options = {
    subscriptionId: sim.workspace.subscriptionId,
    endpoint: sim.url,
    caCertPem: sim.caCertPem,
    credential: staticTokenCredential(),
    retryOptions: { retryDelayInMs, maxRetryDelayInMs: 200 },
  };
  return {
    ws: sim.workspace,
    ml: createMachineLearningClient(options),
    authz: createAuthorizationClient(options),
    scoring: createScoringClient({ caCertPem: sim.caCertPem }),
  };
}

export const POLL = { updateIntervalInMs: 1 } as const;

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** One HTTPS request with node:https, to see status, headers and the raw JSON body. */
export function raw(
  sim: Simulator,
  method: string,
  pathOrUrl: string,
  options: { body?: unknown; rawText?: string; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<RawResponse> {
  const url = new URL(pathOrUrl, sim.url);
  const text = options.rawText ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.auth !== false) headers["Authorization"] ??= "Bearer test-token";
  if (text !== undefined) headers["Content-Type"] = "application/json";
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method, headers, ca: sim.caCertPem, agent: false }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (data += c));
      res.on("end", () => {
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h[k.toLowerCase()] = v;
        let body: unknown = undefined;
        if (data.length > 0) {
          try {
            body = JSON.parse(data) as unknown;
          } catch {
            body = data;
          }
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: h, body });
      });
    });
    req.on("error", reject);
    req.end(text);
  });
}

export function wsPath(ws: WorkspaceRef, suffix = ""): string {
  return `/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}${suffix}`;
}

export const ML = "?api-version=2022-10-01";
export const AUTHZ = "?api-version=2022-04-01";

export function roleDefinitionId(ws: WorkspaceRef, guid: string): string {
  return `/subscriptions/${ws.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

type JsonType = "null" | "array" | "object" | "string" | "number" | "boolean";

function typeOf(v: unknown): JsonType {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v as JsonType;
}

export interface ShapeOptions {
  /** Paths the simulator may leave out. */
  allowMissing?: string[];
  /** Paths the simulator may add. */
  allowExtra?: string[];
  /** Paths where one side may be null and the other a value (the real service does this: recorded). */
  nullable?: string[];
  /** User-keyed dictionaries (tags, traffic, ...): only the value types are compared. */
  maps?: string[];
}

/**
 * Field-by-field comparison of a simulator answer with a fixture body: same keys (with exact
 * casing), same JSON types, recursively. Returns the differences (empty = same shape).
 */
export function shapeDiff(actual: unknown, expected: unknown, options: ShapeOptions = {}, path = ""): string[] {
  const at = path || "(root)";
  const ta = typeOf(actual);
  const te = typeOf(expected);
  if (ta !== te) {
    // The real service answers null where the example shows a value, and vice versa (recorded).
    if ((ta === "null" || te === "null") && options.nullable?.includes(path)) return [];
    return [`${at}: expected ${te}, got ${ta}`];
  }
  if (ta === "array") {
    const a = actual as unknown[];
    const e = expected as unknown[];
    return a.length > 0 && e.length > 0 ? shapeDiff(a[0], e[0], options, `${path}[]`) : [];
  }
  if (ta !== "object") return [];
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  if (options.maps?.includes(path)) {
    const av = Object.values(a)[0];
    const ev = Object.values(e)[0];
    return av !== undefined && ev !== undefined ? shapeDiff(av, ev, options, `${path}.*`) : [];
  }
  const diffs: string[] = [];
  const join = (k: string) => (path ? `${path}.${k}` : k);
  for (const key of Object.keys(e)) {
    if (!(key in a)) {
      if (!options.allowMissing?.includes(join(key))) diffs.push(`missing ${join(key)}`);
      continue;
    }
    diffs.push(...shapeDiff(a[key], e[key], options, join(key)));
  }
  for (const key of Object.keys(a)) {
    if (!(key in e) && !options.allowExtra?.includes(join(key))) diffs.push(`extra ${join(key)}`);
  }
  return diffs;
}

/** Error thrown by an SDK call, with its status and ARM code. */
export async function sdkError(promise: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = err as { statusCode?: number; code?: string; message: string };
    return { ...(e.statusCode !== undefined ? { statusCode: e.statusCode } : {}), ...(e.code !== undefined ? { code: e.code } : {}), message: e.message };
  }
  throw new Error("expected the call to fail");
}
