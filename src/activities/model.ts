import type { ModelVersion } from "@azure/arm-machinelearning";
import type { RegisteredModel, RegisterModelInput } from "../contracts/activities";
import type { FlowSource } from "../contracts/deployRequest";
import { NonRetryableError, RetryAfterError, toPipelineError } from "../errors";
import { getOrUndefined, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";

/** The model-version tag that ties a version to the request that registered it (idempotency). */
export const REQUEST_TAG = "flowdeploy.requestId";

/**
 * The `azureml.promptflow.*` properties the studio relies on to recognise a flow model (prompt flow
 * deployment how-to): the source flow, and for chat flows the mode and chat input/output names. Not
 * `is-promptflow`: azure-ai-ml uses it (with `is-evaluator`) to mark evaluators
 * (`_get_evaluator_properties`, EvaluatorOperations.list filters on it).
 */
export function promptFlowProperties(flow: FlowSource): Record<string, string> {
  const props: Record<string, string> = { "azureml.promptflow.source_flow_id": flow.name };
  if (flow.mode === "chat") {
    props["azureml.promptflow.mode"] = "chat";
    if (flow.chatInput) props["azureml.promptflow.chat_input"] = flow.chatInput;
    if (flow.chatOutput) props["azureml.promptflow.chat_output"] = flow.chatOutput;
  }
  return props;
}

/**
 * Registers the flow folder as a custom model version, or resolves a given model. Idempotent: the
 * version carries the request id as a tag, and a retry finds it instead of creating a second one.
 */
export async function registerModel(deps: ActivityDeps, input: RegisterModelInput): Promise<RegisteredModel> {
  if (input.model) return resolveModel(deps, input);
  if (!input.flow) throw new NonRetryableError("neither flow nor model given", { code: "InvalidInput" });
  const flow = input.flow;
  const ml = deps.ml(input.workspace.subscriptionId);
  const [rg, ws] = wsArgs(input.workspace);

  const container = await getOrUndefined(() => ml.modelContainers.get(rg, ws, flow.name));
  if (!container) {
    await ml.modelContainers.createOrUpdate(rg, ws, flow.name, { properties: { description: `Prompt flow ${flow.name}, registered by flowdeploy`, tags: {} } });
  }

  const versions: ModelVersion[] = [];
  for await (const v of ml.modelVersions.list(rg, ws, flow.name)) versions.push(v);
  // A version tagged with this request id was registered by this request: an earlier attempt whose
  // result was lost (a crash between the PUT and the activity's completion). Still "registered".
  const mine = versions.find((v) => v.properties.tags?.[REQUEST_TAG] === input.requestId);
  if (mine?.name && mine.id) return { name: flow.name, version: mine.name, id: mine.id, created: true };

  const version = nextModelVersion(versions);
  try {
    const created = await ml.modelVersions.createOrUpdate(rg, ws, flow.name, version, {
      properties: {
        modelType: "custom_model",
        modelUri: longDatastoreUri(flow.path, input.workspace),
        description: `Prompt flow ${flow.name} (${flow.mode}), registered by flowdeploy`,
        properties: promptFlowProperties(flow),
        tags: { [REQUEST_TAG]: input.requestId },
      },
    });
    return { name: flow.name, version, id: created.id ?? versionId(input, flow.name, version), created: true };
  } catch (err) {
    const error = toPipelineError(err);
    // Another registration took this version number between our list and PUT: retry picks the next.
    if (error.status === 409) throw new RetryAfterError(error.message, { code: "ModelVersionConflict", status: 409, retryAfterSeconds: 1, cause: err });
    throw error;
  }
}

async function resolveModel(deps: ActivityDeps, input: RegisterModelInput & { model?: { name: string; version: string } }): Promise<RegisteredModel> {
  const { name, version } = input.model!;
  const found = await getOrUndefined(() => deps.ml(input.workspace.subscriptionId).modelVersions.get(...wsArgs(input.workspace), name, version));
  if (!found) {
    throw new NonRetryableError(`model ${name}:${version} does not exist in workspace ${input.workspace.name}`, { code: "ModelNotFound", status: 404 });
  }
  return { name, version, id: found.id ?? versionId(input, name, version), created: false };
}

/** The version after the highest numeric one (versions are strings; non-numeric ones are skipped). */
export function nextModelVersion(versions: readonly { name?: string | undefined }[]): string {
  return String(Math.max(0, ...versions.map((v) => Number(v.name)).filter(Number.isInteger)) + 1);
}

function versionId(input: RegisterModelInput, name: string, version: string): string {
  const w = input.workspace;
  return `/subscriptions/${w.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${w.name}/models/${name}/versions/${version}`;
}

/**
 * The workspace-scoped form of a datastore URI, as azure-ai-ml sends it: ModelOperations.create_or_update
 * runs `resolve_short_datastore_url`, turning `azureml://datastores/<ds>/paths/<p>` into
 * `azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/datastores/<ds>/paths/<p>`
 * (AzureMLDatastorePathUri.to_long_uri). The long form is kept as it is (the contract checked that it
 * names the target workspace).
 */
export function longDatastoreUri(path: string, workspace: { subscriptionId: string; resourceGroup: string; name: string }): string {
  const short = /^azureml:\/\/datastores\/(.+)$/.exec(path);
  return short ? `azureml://subscriptions/${workspace.subscriptionId}/resourcegroups/${workspace.resourceGroup}/workspaces/${workspace.name}/datastores/${short[1]}` : path;
}
