import { ArmError, resourceNotFound } from "./armErrors";
import { json, type SimResponse } from "./httpResponse";
import { resourceKey, workspaceId, type WorkspaceRef } from "./ids";
import { isRecord, optionalString, stringMap } from "./json";
import { requireParam, type RequestContext } from "./requestContext";
import { assetContainerView, sortVersions, type AssetContainer, type AssetVersionRecord } from "./assetVersions";
import { systemData } from "./systemData";
import { workspaceFromParams } from "./workspaces";

/**
 * codeContainers and codeVersions: createOrUpdate / get / list (api-version 2022-10-01, what
 * @azure/arm-machinelearning 2.1.1 sends; not long-running there). Shapes: azure-rest-api-specs
 * `specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/examples/CodeContainer/createOrUpdate.json`
 * and `.../CodeVersion/{createOrUpdate,get,list}.json`: a container is `{id, name, type:
 * "Microsoft.MachineLearningServices/workspaces/codes", properties: {description, tags, properties,
 * isArchived, latestVersion, nextVersion}, systemData}`; a version `{id, name: <version>, type, properties:
 * {description, tags, properties, isAnonymous, isArchived, codeUri}, systemData}`; PUT answers 201 when
 * new and 200 after that.
 *
 * Code versions are immutable in their path: azure-ai-ml's code operations catch the service's
 * answer "(UserError) Asset paths cannot be updated." (`ASSET_PATH_ERROR`, azure-ai-ml
 * `_artifacts/_constants.py`; "service side raises an exception if we attempt to update an existing
 * asset's asset path", `_code_operations.py`) and tell the user to pick a new name or version. So a
 * re-PUT with another `codeUri` answers `UserError` with that message; the status is not recorded
 * publicly: 409, as for an environment version that cannot be changed (environments.ts). Tags
 * ("can be added, removed, and updated", spec `ResourceBase.tags`), description and isArchived
 * change; properties only gain keys (asset properties are append-only: Azure/azureml-assets#1174).
 * A version PUT creates its container when missing, as a model version's does.
 */

const CONTAINER_TYPE = "Microsoft.MachineLearningServices/workspaces/codes";
const VERSION_TYPE = "Microsoft.MachineLearningServices/workspaces/codes/versions";

/** A code container: exactly the fields every asset container has. */
export type CodeContainerRecord = AssetContainer;

export interface CodeVersionRecord extends AssetVersionRecord {
  codeUri: string | null;
}

export type CodeState = { codeContainers?: Record<string, CodeContainerRecord>; codeVersions?: Record<string, CodeVersionRecord> };

export function codeContainerId(ws: WorkspaceRef, name: string): string {
  return `${workspaceId(ws)}/codes/${name}`;
}

export function codeVersionId(ws: WorkspaceRef, name: string, version: string): string {
  return `${codeContainerId(ws, name)}/versions/${version}`;
}

function invalidContent(): ArmError {
  return new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: properties is required.");
}

function versionsOf(state: CodeState, containerId: string): CodeVersionRecord[] {
  const prefix = `${resourceKey(containerId)}/versions/`;
  return Object.entries(state.codeVersions ?? {})
    .filter(([key]) => key.startsWith(prefix))
    .map(([, v]) => v);
}

/** Newest first: numeric versions by value, others by creation time (as model versions). */
function containerView(state: CodeState, c: CodeContainerRecord): Record<string, unknown> {
  return assetContainerView(CONTAINER_TYPE, c, versionsOf(state, c.id));
}

function versionView(v: CodeVersionRecord): Record<string, unknown> {
  return {
    id: v.id,
    name: v.version,
    type: VERSION_TYPE,
    properties: {
      description: v.description,
      tags: { ...v.tags },
      properties: { ...v.properties },
      isAnonymous: v.isAnonymous,
      isArchived: v.isArchived,
      codeUri: v.codeUri,
    },
    systemData: systemData(v.createdAt, v.lastModifiedAt),
  };
}

function ensureContainer(state: CodeState, ws: WorkspaceRef, name: string, now: Date): { container: CodeContainerRecord; created: boolean } {
  const id = codeContainerId(ws, name);
  const store = (state.codeContainers ??= {});
  const existing = store[resourceKey(id)];
  if (existing) return { container: existing, created: false };
  const container: CodeContainerRecord = { id, name, description: null, tags: {}, properties: {}, isArchived: false, createdAt: now.toISOString(), lastModifiedAt: now.toISOString() };
  store[resourceKey(id)] = container;
  return { container, created: true };
}

export function createOrUpdateCodeContainer(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "codeName");
  if (!isRecord(ctx.body) || !isRecord(ctx.body["properties"])) throw invalidContent();
  const props = ctx.body["properties"];
  const state = ctx.state as unknown as CodeState;
  const { container, created } = ensureContainer(state, ws, name, ctx.now);
  container.description = optionalString(props["description"]) ?? null;
  container.tags = stringMap(props["tags"]);
  container.properties = stringMap(props["properties"]);
  container.isArchived = props["isArchived"] === true;
  container.lastModifiedAt = ctx.now.toISOString();
  return json(created ? 201 : 200, containerView(state, container));
}

export function getCodeContainer(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "codeName");
  const state = ctx.state as unknown as CodeState;
  const c = state.codeContainers?.[resourceKey(codeContainerId(ws, name))];
  if (!c) throw resourceNotFound(`Microsoft.MachineLearningServices/workspaces/${ws.workspace}/codes`, name, ws.resourceGroup);
  return json(200, containerView(state, c));
}

export function listCodeContainers(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const state = ctx.state as unknown as CodeState;
  const prefix = resourceKey(codeContainerId(ws, ""));
  const value = Object.entries(state.codeContainers ?? {})
    .filter(([key]) => key.startsWith(prefix))
    .map(([, c]) => containerView(state, c));
  return json(200, { value });
}

export interface CodeVersionInput {
  description: string | null;
  tags: Record<string, string>;
  properties: Record<string, string>;
  isAnonymous: boolean;
  isArchived: boolean;
  codeUri: string | null;
}

/** Registers a code version (also used by scenario seeding); see the module comment for the rules. */
export function putCodeVersion(state: CodeState, ws: WorkspaceRef, name: string, version: string, input: CodeVersionInput, now: Date): { record: CodeVersionRecord; created: boolean } {
  const id = codeVersionId(ws, name, version);
  const store = (state.codeVersions ??= {});
  const existing = store[resourceKey(id)];
  if (existing) {
    if ((existing.codeUri ?? "") !== (input.codeUri ?? "")) throw new ArmError(409, "UserError", "Asset paths cannot be updated.");
    existing.description = input.description;
    existing.tags = input.tags;
    existing.isArchived = input.isArchived;
    existing.properties = { ...input.properties, ...existing.properties };
    existing.lastModifiedAt = now.toISOString();
    return { record: existing, created: false };
  }
  ensureContainer(state, ws, name, now);
  const record: CodeVersionRecord = { id, name, version, ...input, createdAt: now.toISOString(), lastModifiedAt: now.toISOString() };
  store[resourceKey(id)] = record;
  return { record, created: true };
}

export function createOrUpdateCodeVersion(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  if (!isRecord(ctx.body) || !isRecord(ctx.body["properties"])) throw invalidContent();
  const p = ctx.body["properties"];
  const input: CodeVersionInput = {
    description: optionalString(p["description"]) ?? null,
    tags: stringMap(p["tags"]),
    properties: stringMap(p["properties"]),
    isAnonymous: p["isAnonymous"] === true,
    isArchived: p["isArchived"] === true,
    codeUri: optionalString(p["codeUri"]) ?? null,
  };
  const { record, created } = putCodeVersion(ctx.state as unknown as CodeState, ws, requireParam(ctx, "codeName"), requireParam(ctx, "version"), input, ctx.now);
  return json(created ? 201 : 200, versionView(record));
}

export function getCodeVersion(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "codeName");
  const version = requireParam(ctx, "version");
  const v = (ctx.state as unknown as CodeState).codeVersions?.[resourceKey(codeVersionId(ws, name, version))];
  if (!v) throw resourceNotFound(`Microsoft.MachineLearningServices/workspaces/${ws.workspace}/codes/${name}/versions`, version, ws.resourceGroup);
  return json(200, versionView(v));
}

/** Newest first; honours `$top` (CodeVersions_List: `$orderBy`, `$top`, `$skipToken`; one page here). */
export function listCodeVersions(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "codeName");
  const state = ctx.state as unknown as CodeState;
  let versions = sortVersions(versionsOf(state, codeContainerId(ws, name)));
  const top = Number(ctx.query.get("$top"));
  if (Number.isInteger(top) && top > 0) versions = versions.slice(0, top);
  return json(200, { value: versions.map(versionView) });
}

/**
 * The code version a deployment's `codeConfiguration.codeId` names: the ARM id of a code version of
 * this workspace (azure-ai-ml sends `.../workspaces/{ws}/codes/{name}/versions/{v}`; an `azureml:`
 * prefix is tolerated) or `azureml:name:version`. `undefined` = not found; `"external"` = any other
 * reference (a registry asset `azureml://registries/...`, or the spec example's placeholder
 * `"string"`), which the simulator does not check — the rule model references follow here (models.ts).
 */
export function resolveCodeReference(state: CodeState, ws: WorkspaceRef, ref: string): CodeVersionRecord | "external" | undefined {
  const short = /^azureml:([^:/]+):([^:/]+)$/.exec(ref);
  if (short?.[1] && short[2]) return state.codeVersions?.[resourceKey(codeVersionId(ws, short[1], short[2]))];
  const arm = ref.replace(/^azureml:/i, "");
  if (/^\/?subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/codes\/[^/]+\/versions\/[^/]+$/i.test(arm)) {
    return state.codeVersions?.[resourceKey(arm.startsWith("/") ? arm : `/${arm}`)];
  }
  return "external";
}
