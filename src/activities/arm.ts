import { NonRetryableError } from "../errors";
import { createPipelineRequest } from "@azure/core-rest-pipeline";
import type { FullOperationResponse, ServiceClient } from "@azure/core-client";
import type { OperationError, ProvisioningState, StartedOperation } from "../contracts/activities";

/** Helpers shared by the activities that drive ARM long-running operations. */

/** True for an SDK RestError with HTTP 404 (the resource does not exist). */
export function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { statusCode?: unknown }).statusCode === 404;
}

/** Runs `read`, turning a 404 into `undefined`. */
export async function getOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const KNOWN_STATES: readonly ProvisioningState[] = ["Creating", "Updating", "Deleting", "Succeeded", "Failed", "Canceled"];

/** Azure spells provisioning states in PascalCase; anything unexpected is treated as still running. */
export function normalizeState(state: string | undefined): ProvisioningState {
  const match = KNOWN_STATES.find((s) => s.toLowerCase() === (state ?? "").toLowerCase());
  return match ?? "Updating";
}

/**
 * Options that capture the initial response of a `begin*` call: ARM answers a long-running PUT with
 * 201 + `Azure-AsyncOperation` (the status URL) and often `Retry-After` (README wire facts (a)).
 * The activity returns these at once; the orchestrator polls on durable timers.
 */
export function captureInitialResponse(): {
  options: { onResponse: (raw: FullOperationResponse) => void };
  started: (fallbackState: ProvisioningState) => StartedOperation;
  /** HTTP status of the initial answer (DELETE of a missing resource answers 204). */
  status: () => number | undefined;
} {
  let raw: FullOperationResponse | undefined;
  return {
    options: {
      onResponse: (r) => {
        raw ??= r;
      },
    },
    status: () => raw?.status,
    started: (fallbackState) => {
      const headers = raw?.headers;
      const retryAfter = Number(headers?.get("retry-after"));
      const body = raw?.parsedBody as { properties?: { provisioningState?: string } } | undefined;
      return {
        provisioningState: body?.properties?.provisioningState ? normalizeState(body.properties.provisioningState) : fallbackState,
        operationUrl: headers?.get("azure-asyncoperation") ?? headers?.get("location") ?? null,
        retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 && headers?.has("retry-after") ? retryAfter : null,
      };
    },
  };
}

/**
 * Reads the error of a finished operation from its Azure-AsyncOperation URL
 * (`{status: "Failed", error: {code, message}}`), through the client's own pipeline so the same
 * credential, retry and TLS policies apply.
 */
export async function readOperationError(client: ServiceClient, operationUrl: string | null | undefined, armEndpoint: string): Promise<OperationError | null> {
  if (!operationUrl) return null;
  assertArmOrigin(armEndpoint, operationUrl);
  const response = await client.sendRequest(createPipelineRequest({ url: operationUrl, method: "GET" }));
  if (response.status >= 400 || !response.bodyAsText) return null;
  try {
    const body = JSON.parse(response.bodyAsText) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof body.error?.code === "string" ? body.error.code : undefined;
    return code ? { code, message: typeof body.error?.message === "string" ? body.error.message : "" } : null;
  } catch {
    return null;
  }
}

/**
 * The client's bearer token goes only to its own ARM endpoint: an operation URL (from a response
 * header, carried through orchestration history) on any other origin is refused, not fetched.
 */
export function assertArmOrigin(armEndpoint: string, url: string): void {
  const host = armEndpoint;
  let origin: string | undefined;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = undefined;
  }
  if (origin !== new URL(host).origin) {
    throw new NonRetryableError(`operation URL is not on the ARM endpoint ${new URL(host).origin}; not followed`, { code: "UntrustedOperationUrl" });
  }
}

/** `{resourceGroup, workspace}` arguments the ML SDK takes first. */
export function wsArgs(ws: { resourceGroup: string; name: string }): [string, string] {
  return [ws.resourceGroup, ws.name];
}
