import type { OnlineDeployment } from "@azure/arm-machinelearning";
import type { EndpointDeploymentList, ListEndpointDeploymentsInput } from "../contracts/activities";
import { getOnlineEndpoint } from "../azure/mlOperations";
import { getOrUndefined, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";
import { isManaged } from "./managed";

/** A deployment's percent in a traffic or mirror map (deployment names compare ignoring case, as Azure's do). */
export function shareOf(map: Record<string, number> | null | undefined, name: string): number {
  return Object.entries(map ?? {}).reduce((sum, [n, pct]) => (n.toLowerCase() === name.toLowerCase() ? sum + (pct ?? 0) : sum), 0);
}

/**
 * Every deployment of an endpoint with its live and mirrored share, whether flowdeploy created it,
 * and when Azure created it (`systemData.createdAt`, ARM's common resource metadata). Reads only.
 */
export async function listEndpointDeployments(deps: ActivityDeps, input: ListEndpointDeploymentsInput): Promise<EndpointDeploymentList> {
  const deployments: EndpointDeploymentList["deployments"] = [];
  for await (const { listed } of endpointDeployments(deps, input)) deployments.push(listed);
  return { deployments };
}

/**
 * Each deployment of an endpoint (none when the endpoint does not exist), with what every listing
 * reports of it: live and mirrored share, flowdeploy's tag, Azure's creation time. Reads only.
 */
export async function* endpointDeployments(
  deps: ActivityDeps,
  input: ListEndpointDeploymentsInput,
): AsyncGenerator<{ deployment: OnlineDeployment; listed: EndpointDeploymentList["deployments"][number] }> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const endpoint = await getOrUndefined(() => getOnlineEndpoint(ml, rg, ws, input.endpointName));
  if (!endpoint) return;
  for await (const d of ml.onlineDeployments.list(rg, ws, input.endpointName)) {
    if (!d.name) continue;
    const created = d.systemData?.createdAt;
    yield {
      deployment: d,
      listed: {
        name: d.name,
        managed: isManaged(d.tags),
        createdAt: created ? new Date(created).toISOString() : null,
        traffic: shareOf(endpoint.properties.traffic, d.name),
        mirror: shareOf(endpoint.properties.mirrorTraffic, d.name),
      },
    };
  }
}
