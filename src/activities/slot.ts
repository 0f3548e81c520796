import { createHash } from "node:crypto";
import type { ChooseDeploymentNameInput, ChosenDeploymentName } from "../contracts/activities";
import { getOnlineEndpoint } from "../azure/mlOperations";
import { getOrUndefined, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";
import { isManaged } from "./managed";

/** The two blue/green slots, in the order a new endpoint takes them. */
export const SLOTS = ["blue", "green"] as const;

/**
 * Picks the deployment name for a request that names none (or "auto"): the blue/green slot that
 * carries no live or mirrored traffic — one that does not exist yet before one flowdeploy made
 * earlier (replacing the older rollback target), never one someone else made (unless adopted) — and
 * when both slots are busy (e.g. a canary split), `fd-` + 8 hex of the request id's SHA-256.
 * Reads Azure only; runs under the endpoint's lock, so two requests cannot pick the same slot.
 */
export async function chooseDeploymentName(deps: ActivityDeps, input: ChooseDeploymentNameInput): Promise<ChosenDeploymentName> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const endpoint = await getOrUndefined(() => getOnlineEndpoint(ml, rg, ws, input.endpointName));
  const live = { ...endpoint?.properties.traffic, ...endpoint?.properties.mirrorTraffic };
  const busy = (name: string) => Object.entries(live).some(([n, pct]) => n.toLowerCase() === name && (pct ?? 0) > 0);
  const existing = new Map<string, boolean>();
  if (endpoint) {
    for await (const d of ml.onlineDeployments.list(rg, ws, input.endpointName)) if (d.name) existing.set(d.name.toLowerCase(), isManaged(d.tags) || deps.settings.adoptEndpoints);
  }
  const free = SLOTS.filter((s) => !busy(s) && existing.get(s) !== false);
  const fresh = free.find((s) => !existing.has(s));
  if (fresh) return { name: fresh, reason: `${fresh}: the free slot${existing.size > 0 ? ` (live: ${describe(live)})` : ""}` };
  if (free[0]) return { name: free[0], reason: `${free[0]}: carries no traffic (live: ${describe(live)}); the previous rollback target is replaced` };
  const digest = createHash("sha256").update(input.requestId, "utf8").digest("hex");
  for (let len = 8; len <= 28; len += 4) {
    const name = `fd-${digest.slice(0, len)}`;
    if (!existing.has(name)) return { name, reason: `${name}: both slots are busy (live: ${describe(live)})` };
  }
  return { name: `fd-${digest.slice(0, 29)}`, reason: "both slots are busy" };
}

function describe(traffic: Record<string, number | undefined>): string {
  const parts = Object.entries(traffic).filter(([, v]) => (v ?? 0) > 0);
  return parts.length === 0 ? "none" : parts.map(([n, v]) => `${n} ${v}%`).join(", ");
}
