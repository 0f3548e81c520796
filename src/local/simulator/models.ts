import { canonicalJson } from "../../domain/canonicalJson";
import { ArmError, conflict, resourceNotFound } from "./armErrors";
import { json, type SimResponse } from "./httpResponse";
import { modelContainerId, modelVersionId, resourceKey, type WorkspaceRef } from "./ids";
import { isRecord, optionalString, stringMap } from "./json";
import { requireParam, type RequestContext } from "./requestContext";
import type { ModelContainerRecord, ModelVersionRecord, SimState } from "./stateStore";
import { assetContainerView, sortVersions } from "./assetVersions";
import { systemData } from "./systemData";
import { workspaceFromParams } from "./workspaces";

/**
 * modelContainers and modelVersions: createOrUpdate / get / list. Not long-running in 2022-10-01
 * (README wire facts (a)): PUT answers 201 when new, 200 when it existed.
 *
 * Model versions are immutable: re-PUT with the same modelUri/modelType/properties/flavors answers 200
 * (description, tags and isArchived may change); a different immutable field answers 409.
 */

const CONTAINER_TYPE = "Microsoft.MachineLearningServices/workspaces/models";
const VERSION_TYPE = "Microsoft.MachineLearningServices/workspaces/models/versions";

function invalidContent(): ArmError {
  return new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
}

function containerNotFound(ws: WorkspaceRef, name: string): ArmError {
  return resourceNotFound(`Microsoft.MachineLearningServices/workspaces/${ws.workspace}/models`, name, ws.resourceGroup);
}

function versionsOf(state: SimState, container: ModelContainerRecord): ModelVersionRecord[] {
  const prefix = `${resourceKey(container.id)}/versions/`;
  return Object.entries(state.modelVersions)
    .filter(([key]) => key.startsWith(prefix))
    .map(([, v]) => v);
}

/** Newest first: numeric versions by value, others by creation time. */
export function containerView(state: SimState, c: ModelContainerRecord): Record<string, unknown> {
  return assetContainerView(CONTAINER_TYPE, c, versionsOf(state, c));
}

export function versionView(v: ModelVersionRecord): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    description: v.description,
    tags: { ...v.tags },
    properties: { ...v.properties },
    isAnonymous: v.isAnonymous,
    isArchived: v.isArchived,
    flavors: v.flavors,
    modelType: v.modelType,
    modelUri: v.modelUri,
  };
  if (v.jobName !== undefined) properties["jobName"] = v.jobName;
  // A model version's resource name is its version.
  return { id: v.id, name: v.version, type: VERSION_TYPE, properties, systemData: systemData(v.createdAt, v.lastModifiedAt) };
}

export function ensureContainer(state: SimState, ws: WorkspaceRef, name: string, now: Date): ModelContainerRecord {
  const id = modelContainerId(ws, name);
  let c = state.modelContainers[resourceKey(id)];
  if (!c) {
    c = { id, name, workspace: ws, description: null, tags: {}, properties: {}, isArchived: false, createdAt: now.toISOString(), lastModifiedAt: now.toISOString() };
    state.modelContainers[resourceKey(id)] = c;
  }
  return c;
}

export function createOrUpdateContainer(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "modelName");
  if (!isRecord(ctx.body) || !isRecord(ctx.body["properties"])) throw invalidContent();
  const props = ctx.body["properties"];
  const existed = ctx.state.modelContainers[resourceKey(modelContainerId(ws, name))] !== undefined;
  const c = ensureContainer(ctx.state, ws, name, ctx.now);
  c.description = optionalString(props["description"]) ?? null;
  c.tags = stringMap(props["tags"]);
  c.properties = stringMap(props["properties"]);
  c.isArchived = props["isArchived"] === true;
  c.lastModifiedAt = ctx.now.toISOString();
  return json(existed ? 200 : 201, containerView(ctx.state, c));
}

export function getContainer(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "modelName");
  const c = ctx.state.modelContainers[resourceKey(modelContainerId(ws, name))];
  if (!c) throw containerNotFound(ws, name);
  return json(200, containerView(ctx.state, c));
}

export function listContainers(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const prefix = resourceKey(modelContainerId(ws, ""));
  const value = Object.entries(ctx.state.modelContainers)
    .filter(([key]) => key.startsWith(prefix))
    .map(([, c]) => containerView(ctx.state, c));
  return json(200, { value });
}

export interface ModelVersionInput {
  description: string | null;
  tags: Record<string, string>;
  properties: Record<string, string>;
  isAnonymous: boolean;
  isArchived: boolean;
  flavors: Record<string, unknown>;
  modelType: string;
  modelUri: string | null;
  jobName?: string;
}

function parseVersionBody(body: unknown): ModelVersionInput {
  if (!isRecord(body) || !isRecord(body["properties"])) throw invalidContent();
  const p = body["properties"];
  const jobName = optionalString(p["jobName"]);
  return {
    description: optionalString(p["description"]) ?? null,
    tags: stringMap(p["tags"]),
    properties: stringMap(p["properties"]),
    isAnonymous: p["isAnonymous"] === true,
    isArchived: p["isArchived"] === true,
    flavors: isRecord(p["flavors"]) ? p["flavors"] : {},
    modelType: optionalString(p["modelType"]) ?? "CustomModel",
    modelUri: optionalString(p["modelUri"]) ?? null,
    ...(jobName !== undefined ? { jobName } : {}),
  };
}


/** Registers a model version (also used by scenario seeding). */
export function putModelVersion(state: SimState, ws: WorkspaceRef, name: string, version: string, input: ModelVersionInput, now: Date): { record: ModelVersionRecord; created: boolean } {
  const id = modelVersionId(ws, name, version);
  const key = resourceKey(id);
  const existing = state.modelVersions[key];
  if (existing) {
    const immutable = (v: ModelVersionInput | ModelVersionRecord) => canonicalJson([v.modelUri, v.modelType, v.properties, v.flavors]);
    if (immutable(existing) !== immutable(input)) {
      throw conflict(`Model ${name}:${version} already exists with a different modelUri, modelType, properties or flavors; model versions are immutable. Register a new version instead.`);
    }
    existing.description = input.description;
    existing.tags = input.tags;
    existing.isArchived = input.isArchived;
    existing.lastModifiedAt = now.toISOString();
    return { record: existing, created: false };
  }
  ensureContainer(state, ws, name, now);
  const record: ModelVersionRecord = { id, name, version, workspace: ws, ...input, createdAt: now.toISOString(), lastModifiedAt: now.toISOString() };
  state.modelVersions[key] = record;
  return { record, created: true };
}

export function createOrUpdateVersion(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const { record, created } = putModelVersion(ctx.state, ws, requireParam(ctx, "modelName"), requireParam(ctx, "version"), parseVersionBody(ctx.body), ctx.now);
  return json(created ? 201 : 200, versionView(record));
}

export function getVersion(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "modelName");
  const version = requireParam(ctx, "version");
  const v = ctx.state.modelVersions[resourceKey(modelVersionId(ws, name, version))];
  if (!v) throw resourceNotFound(`Microsoft.MachineLearningServices/workspaces/${ws.workspace}/models/${name}/versions`, version, ws.resourceGroup);
  return json(200, versionView(v));
}

/** Newest first; honours `version` and `$top` from the query. */
export function listVersions(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "modelName");
  const c = ctx.state.modelContainers[resourceKey(modelContainerId(ws, name))];
  if (!c) return json(200, { value: [] });
  let versions = sortVersions(versionsOf(ctx.state, c));
  const only = ctx.query.get("version");
  if (only) versions = versions.filter((v) => v.version === only);
  const top = Number(ctx.query.get("$top"));
  if (Number.isInteger(top) && top > 0) versions = versions.slice(0, top);
  return json(200, { value: versions.map(versionView) });
}

/**
 * Resolves a deployment's `properties.model`: an ARM id of a workspace model version, or
 * `azureml:name:version`. `undefined` = not found; `"external"` = a registry or other reference the
 * simulator does not check.
 */
export function resolveModelReference(state: SimState, ws: WorkspaceRef, ref: string): ModelVersionRecord | "external" | undefined {
  const short = /^azureml:([^:/]+):([^:/]+)$/.exec(ref);
  if (short?.[1] && short[2]) return state.modelVersions[resourceKey(modelVersionId(ws, short[1], short[2]))];
  if (/\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/models\/[^/]+\/versions\/[^/]+$/i.test(ref)) {
    return state.modelVersions[resourceKey(ref.startsWith("/") ? ref : `/${ref}`)];
  }
  return "external";
}
