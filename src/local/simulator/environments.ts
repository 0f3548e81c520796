import { ArmError, resourceNotFound } from "./armErrors";
import { json, type SimResponse } from "./httpResponse";
import { resourceKey, workspaceId } from "./ids";
import { isRecord, optionalString } from "./json";
import { requireParam, type RequestContext } from "./requestContext";
import { systemData } from "./systemData";
import { workspaceFromParams } from "./workspaces";

/**
 * environmentVersions createOrUpdate / get (api-version 2022-10-01, not long-running). The pipeline
 * registers the prompt flow serving image with its inference routes here. Environment versions are
 * immutable: an identical re-PUT answers 200, a different image or inference config 409 UserError.
 */
const VERSION_TYPE = "Microsoft.MachineLearningServices/workspaces/environments/versions";

export interface EnvironmentVersionRecord {
  id: string;
  name: string;
  version: string;
  image: string | null;
  inferenceConfig: Record<string, unknown> | null;
  osType: string;
  description: string | null;
  tags: Record<string, string>;
  createdAt: string;
  /** The Python packages the image carries beyond the runtime's (scenario `environments`; none when PUT). */
  packages?: string[];
}

export type EnvState = { environmentVersions?: Record<string, EnvironmentVersionRecord> };

function view(v: EnvironmentVersionRecord): Record<string, unknown> {
  return {
    id: v.id,
    name: v.version,
    type: VERSION_TYPE,
    properties: {
      description: v.description,
      tags: { ...v.tags },
      properties: {},
      isAnonymous: false,
      isArchived: false,
      environmentType: "UserCreated",
      image: v.image,
      inferenceConfig: v.inferenceConfig,
      osType: v.osType,
      autoRebuild: "Disabled",
    },
    systemData: systemData(v.createdAt, v.createdAt),
  };
}

export function createOrUpdateEnvironmentVersion(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "environmentName");
  const version = requireParam(ctx, "version");
  const props = isRecord(ctx.body) && isRecord(ctx.body["properties"]) ? ctx.body["properties"] : {};
  const state = ctx.state as unknown as EnvState;
  const store = (state.environmentVersions ??= {});
  const id = `${workspaceId(ws)}/environments/${name}/versions/${version}`;
  const record: EnvironmentVersionRecord = {
    id,
    name,
    version,
    image: optionalString(props["image"]) ?? null,
    inferenceConfig: isRecord(props["inferenceConfig"]) ? props["inferenceConfig"] : null,
    osType: optionalString(props["osType"]) ?? "Linux",
    description: optionalString(props["description"]) ?? null,
    tags: {},
    createdAt: ctx.now.toISOString(),
  };
  const existing = store[resourceKey(id)];
  if (existing) {
    if (existing.image !== record.image || JSON.stringify(existing.inferenceConfig) !== JSON.stringify(record.inferenceConfig)) {
      // Azure ML's answer (azure-cli-extensions#5440 records the text; azure-ai-ml treats the refusal as
      // ResourceExistsError, i.e. 409, and falls back to a new version): a UserError, never retried.
      throw new ArmError(409, "UserError", `Environment ${name} with version ${version} is already registered and cannot be changed.`);
    }
    return json(200, view(existing));
  }
  store[resourceKey(id)] = record;
  return json(201, view(record));
}

export function getEnvironmentVersion(ctx: RequestContext): SimResponse {
  const ws = workspaceFromParams(ctx);
  const name = requireParam(ctx, "environmentName");
  const version = requireParam(ctx, "version");
  const found = (ctx.state as unknown as EnvState).environmentVersions?.[resourceKey(`${workspaceId(ws)}/environments/${name}/versions/${version}`)];
  if (!found) throw resourceNotFound(`Microsoft.MachineLearningServices/workspaces/${ws.workspace}/environments/${name}/versions`, version, ws.resourceGroup);
  return json(200, view(found));
}
