import type { DeploymentRuntimes, DescribeRuntimesInput } from "../contracts/activities";
import { environmentNameAndVersion } from "../contracts/deployRequest";
import { runsPromptFlow } from "../domain/promptFlowRuntime";
import { getOrUndefined, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";
import { endpointDeployments } from "./deploymentList";

/**
 * What each deployment of an endpoint runs, as Azure reports it (never as a request claims): its live
 * share, whether it runs the prompt flow runtime (its environment's image, or PROMPTFLOW_RUN_MODE in
 * its environment variables: src/domain/promptFlowRuntime.ts), whether it has a code configuration,
 * and whether flowdeploy created it. A migration's baseline. Reads only.
 */
export async function describeRuntimes(deps: ActivityDeps, input: DescribeRuntimesInput): Promise<DeploymentRuntimes> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const deployments: DeploymentRuntimes["deployments"] = [];
  for await (const { deployment: d, listed } of endpointDeployments(deps, input)) {
    const env = d.properties.environmentId ? environmentNameAndVersion(d.properties.environmentId) : undefined;
    const image = env ? ((await getOrUndefined(() => ml.environmentVersions.get(rg, ws, env.name, env.version)))?.properties.image ?? null) : null;
    deployments.push({
      ...listed,
      promptFlow: runsPromptFlow({ image, environmentVariables: d.properties.environmentVariables ?? {} }),
      code: Boolean(d.properties.codeConfiguration?.codeId),
    });
  }
  return { deployments };
}
