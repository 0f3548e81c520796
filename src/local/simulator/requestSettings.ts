import { badArgument } from "./armErrors";
import { isRecord } from "./json";
import type { ModelVersionRecord } from "./stateStore";

/**
 * A deployment's `requestSettings` (OnlineRequestSettings): `requestTimeout` is an ISO 8601 duration
 * and `maxConcurrentRequestsPerInstance` a positive integer. The spec sets no bounds; the service
 * does (prompt flow deploy-to-code how-to, "Upstream request timeout"): at most 300 s for
 * deployments of prompt flow models (`azureml.promptflow.source_flow_id`), 180 s for others
 * (reference-yaml-deployment-managed-online). The refusal's code and text are not recorded
 * anywhere public: BadArgument (what the service answers other invalid properties with) is our guess.
 */

/** Seconds of a `PT#H#M#S` duration (fractions allowed in seconds), or undefined when it is not one. */
export function isoDurationSeconds(value: string): number | undefined {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(value);
  if (!m || value === "PT") return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

export function validateRequestSettings(requestSettings: unknown, model: ModelVersionRecord | "external" | undefined): void {
  if (requestSettings === undefined || requestSettings === null) return;
  if (!isRecord(requestSettings)) throw badArgument("properties.requestSettings must be an object.");
  const timeout = requestSettings["requestTimeout"];
  if (timeout !== undefined && timeout !== null) {
    const seconds = typeof timeout === "string" ? isoDurationSeconds(timeout) : undefined;
    if (seconds === undefined || seconds <= 0) throw badArgument(`properties.requestSettings.requestTimeout '${String(timeout)}' is not a positive ISO 8601 duration such as PT90S.`);
    // A model outside the workspace (a registry's) cannot be inspected here: only the 300 s cap applies.
    const promptFlow = model === "external" || (model !== undefined && model.properties["azureml.promptflow.source_flow_id"] !== undefined);
    const max = promptFlow ? 300 : 180;
    if (seconds > max) {
      throw badArgument(
        `properties.requestSettings.requestTimeout is ${seconds * 1000} ms; the maximum is ${max * 1000} ms${promptFlow ? " for prompt flow deployments" : " (300000 ms only for deployments of prompt flow models, which carry azureml.promptflow.source_flow_id)"}.`,
      );
    }
  }
  const concurrency = requestSettings["maxConcurrentRequestsPerInstance"];
  if (concurrency !== undefined && concurrency !== null && (typeof concurrency !== "number" || !Number.isInteger(concurrency) || concurrency < 1)) {
    throw badArgument(`properties.requestSettings.maxConcurrentRequestsPerInstance '${String(concurrency)}' must be a positive integer.`);
  }
}
