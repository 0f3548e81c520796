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
 * immutable: an identical re-PUT answers 200, a different image, conda file or inference config 409
 * UserError.
 *
 * An agent deployment's environment is an image plus a conda file and no inference config: the
 * EnvironmentVersion spec (2022-10-01 `EnvironmentVersionProperties`) makes `inferenceConfig` optional
 * and has `condaFile`, "Standard configuration file used by Conda that lets you install any kind of
 * package, including Python, R, and C/C++ packages" (a YAML string; the 2022-10-01
 * EnvironmentVersion/createOrUpdate example sends `image` + `condaFile`). Without an inference config
 * the image is served by the azureml inference server on its own routes (azureml-inference-server-http
 * on PyPI: liveness `/`, `/score`), which is how curated inference images run a scoring script.
 */
const VERSION_TYPE = "Microsoft.MachineLearningServices/workspaces/environments/versions";

export interface EnvironmentVersionRecord {
  id: string;
  name: string;
  version: string;
  image: string | null;
  inferenceConfig: Record<string, unknown> | null;
  /** The conda file (YAML text) as PUT; absent when none was given. */
  condaFile?: string | null;
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
      ...(v.condaFile ? { condaFile: v.condaFile } : {}),
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
    condaFile: optionalString(props["condaFile"]) ?? null,
    osType: optionalString(props["osType"]) ?? "Linux",
    description: optionalString(props["description"]) ?? null,
    tags: {},
    createdAt: ctx.now.toISOString(),
  };
  const existing = store[resourceKey(id)];
  if (existing) {
    if (
      existing.image !== record.image ||
      (existing.condaFile ?? null) !== record.condaFile ||
      JSON.stringify(existing.inferenceConfig) !== JSON.stringify(record.inferenceConfig)
    ) {
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
