import { resourceKey, workspaceId, type WorkspaceRef } from "./ids";
import type { ModelVersionRecord } from "./stateStore";

/**
 * Flows with their own packages. A flow folder declares its Python packages in `requirements.txt`
 * (flow.dag.yaml `environment.python_requirements_txt`); the prompt flow runtime image has only the
 * runtime's own. Run on the bare image, the serving app fails to import the flow's tools, the
 * container exits, and the deployment ends with ResourceNotReady ("User container has crashed or
 * terminated", troubleshoot-online-endpoints) and the import error in the inference server's log.
 * The prompt flow deploy how-to builds an environment FROM the runtime image that pip-installs the
 * requirements; a scenario's `environments` stand for such images, listing the packages they carry.
 */

export interface FlowFolderSeed {
  /** The folder's workspace-scoped datastore URI, lower case, without a trailing slash. */
  uri: string;
  requirements: string[];
  /** Names of the Entra ID connections the flow calls. */
  connections?: string[];
}

/** A workspace connection that authenticates with the endpoint identity (Microsoft Entra ID). */
export interface EntraConnection {
  name: string;
  target: string;
  roleGuid: string;
}

export type FlowPackageState = { flowFolders?: FlowFolderSeed[]; entraConnections?: EntraConnection[] };

/** The folder a model was registered from, as the scenario describes it. */
export function flowFolderOf(state: FlowPackageState, model: ModelVersionRecord | undefined, ws: WorkspaceRef): FlowFolderSeed | undefined {
  if (!model?.modelUri) return undefined;
  const uri = normalizeFolderUri(model.modelUri, ws);
  return state.flowFolders?.find((f) => f.uri === uri);
}

/** `azureml://datastores/...` or the long workspace form → the long form, lower case, no trailing slash. */
export function normalizeFolderUri(uri: string, ws: WorkspaceRef): string {
  const short = /^azureml:\/\/datastores\/(.+)$/i.exec(uri);
  const long = short ? `azureml://subscriptions/${ws.subscriptionId}/resourcegroups/${ws.resourceGroup}/workspaces/${ws.workspace}/datastores/${short[1]}` : uri;
  return long.toLowerCase().replace(/\/+$/, "");
}

/** The distribution name of a requirements.txt line (`langchain==0.2.1` → `langchain`), or none for comments and options. */
export function packageName(line: string): string | undefined {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line.replace(/#.*/, ""));
  return m?.[1]?.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The requirements a model's flow folder declares (none for models the scenario says nothing about). */
export function flowRequirements(state: FlowPackageState, model: ModelVersionRecord | undefined, ws: WorkspaceRef): string[] {
  return flowFolderOf(state, model, ws)?.requirements ?? [];
}

/** The packages of `requirements` an environment does not carry (an environment the scenario does not describe carries none). */
export function missingPackages(requirements: readonly string[], carried: readonly string[] | undefined): string[] {
  const have = new Set((carried ?? []).map((p) => packageName(p)).filter((p): p is string => p !== undefined));
  return requirements.filter((r) => {
    const name = packageName(r);
    return name !== undefined && !have.has(name);
  });
}

/** The log lines of a serving container that could not import the flow's packages. */
export function importErrorLog(at: string, missing: readonly string[]): string[] {
  const module = packageName(missing[0]!)!.replace(/-/g, "_");
  return [
    `${at} Traceback (most recent call last):`,
    `${at}   File "/azureml-envs/prompt-flow/runtime/lib/python3.9/site-packages/promptflow/_core/tools_manager.py", in load_tool`,
    `${at} ModuleNotFoundError: No module named '${module}'`,
    `${at} Failed to load flow: the flow requires ${missing.join(", ")} (requirements.txt), which the image does not have. Build an environment FROM the prompt flow runtime image that installs them.`,
  ];
}

/** The environment version a deployment names, in this workspace; `undefined` when it names none here. */
export function environmentKeyOf(ref: string, ws: WorkspaceRef): string | undefined {
  const short = /^azureml:([^:/]+):([^:/]+)$/.exec(ref);
  if (short) return resourceKey(`${workspaceId(ws)}/environments/${short[1]}/versions/${short[2]}`);
  if (/\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/environments\/[^/]+\/versions\/[^/]+$/i.test(ref)) return resourceKey(ref.startsWith("/") ? ref : `/${ref}`);
  return undefined;
}
