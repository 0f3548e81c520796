import type { CodeVersion } from "@azure/arm-machinelearning";
import type { RegisterCodeInput, RegisteredModel } from "../contracts/activities";
import { RetryAfterError, toPipelineError } from "../errors";
import { getOrUndefined, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";
import { longDatastoreUri, nextModelVersion, REQUEST_TAG } from "./model";

/**
 * Registers an agent's code folder as a code asset version (Microsoft.MachineLearningServices
 * workspaces/codes/versions; CodeVersion.properties.codeUri), the `codeId` of its deployment's code
 * configuration. The URI is the workspace-scoped datastore form, as for flow models: azure-ai-ml's
 * `Code` takes such a path (its docstring: "azureml://subscriptions/{}/resourcegroups/{}/workspaces/{}/
 * datastores/{}/paths/path_on_datastore/") and `_to_rest_object` sends it unchanged as `codeUri`
 * (a local folder is uploaded first and sent as its https blob URL instead). Idempotent the way models
 * are: the version carries the request id as a tag, and a retry finds it.
 */
export async function registerCode(deps: ActivityDeps, input: RegisterCodeInput): Promise<RegisteredModel> {
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);
  const { name } = input.agent;

  const container = await getOrUndefined(() => ml.codeContainers.get(rg, ws, name));
  if (!container) await ml.codeContainers.createOrUpdate(rg, ws, name, { properties: { description: `Agent ${name} (Microsoft Agent Framework), registered by flowdeploy`, tags: {} } });

  const versions: CodeVersion[] = [];
  for await (const v of ml.codeVersions.list(rg, ws, name)) versions.push(v);
  const mine = versions.find((v) => v.properties.tags?.[REQUEST_TAG] === input.requestId);
  if (mine?.name && mine.id) return { name, version: mine.name, id: mine.id, created: true };

  const version = nextModelVersion(versions);
  try {
    const created = await ml.codeVersions.createOrUpdate(rg, ws, name, version, {
      properties: {
        codeUri: longDatastoreUri(input.agent.code, input.workspace),
        description: `Agent ${name}, registered by flowdeploy`,
        tags: { [REQUEST_TAG]: input.requestId },
      },
    });
    const w = input.workspace;
    return { name, version, id: created.id ?? `/subscriptions/${w.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${w.name}/codes/${name}/versions/${version}`, created: true };
  } catch (err) {
    const error = toPipelineError(err);
    // Another registration took this version between our list and PUT: a retry picks the next.
    if (error.status === 409) throw new RetryAfterError(error.message, { code: "CodeVersionConflict", status: 409, retryAfterSeconds: 1, cause: err });
    throw error;
  }
}
