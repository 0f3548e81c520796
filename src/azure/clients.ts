import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import { MonitorClient } from "@azure/arm-monitor";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type PipelineRetryOptions,
} from "@azure/core-rest-pipeline";
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { BlobServiceClient, type StoragePipelineOptions } from "@azure/storage-blob";
import type { ScoringClient } from "../activities/scoring";

/**
 * The one place Azure SDK clients are constructed. Production: public ARM + DefaultAzureCredential.
 * Local: the simulator's `endpoint`, a static credential and its certificate via `caCertPem`, which
 * becomes the pipeline's `tlsOptions: { ca }` (core-rest-pipeline ≥ 1.10 adds a TLS policy; the SDK
 * then builds its own keep-alive https.Agent with that CA, so nothing global changes).
 */

export const PUBLIC_ARM_ENDPOINT = "https://management.azure.com";

export interface AzureClientOptions {
  subscriptionId: string;
  /** ARM endpoint; default public Azure. */
  endpoint?: string;
  /** Default: one shared DefaultAzureCredential. */
  credential?: TokenCredential;
  /** Extra CA (PEM) to trust, e.g. `simulator.caCertPem`. */
  caCertPem?: string;
  /** SDK retry policy settings (defaults: 3 retries, exponential from 1 s; 429/503 honour Retry-After). */
  retryOptions?: PipelineRetryOptions;
}

let sharedDefaultCredential: TokenCredential | undefined;

function credentialFor(options: Pick<AzureClientOptions, "credential">): TokenCredential {
  return options.credential ?? (sharedDefaultCredential ??= new DefaultAzureCredential());
}

function pipelineOptions(options: AzureClientOptions) {
  return {
    endpoint: options.endpoint ?? PUBLIC_ARM_ENDPOINT,
    userAgentOptions: { userAgentPrefix: "flowdeploy" },
    ...(options.caCertPem ? { tlsOptions: { ca: options.caCertPem } } : {}),
    ...(options.retryOptions ? { retryOptions: options.retryOptions } : {}),
  };
}

/** `@azure/arm-machinelearning` 2.1.1 (api-version 2022-10-01). */
export function createMachineLearningClient(options: AzureClientOptions): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(credentialFor(options), options.subscriptionId, pipelineOptions(options));
}

/** `@azure/arm-authorization` 9.0.0 (role assignments / definitions at api-version 2022-04-01). */
export function createAuthorizationClient(options: AzureClientOptions): AuthorizationManagementClient {
  return new AuthorizationManagementClient(credentialFor(options), options.subscriptionId, pipelineOptions(options));
}

/** `@azure/arm-msi` 2.2 (user-assigned identities at api-version 2024-11-30): reads an identity's principal and client id. */
export function createManagedIdentityClient(options: AzureClientOptions): ManagedServiceIdentityClient {
  return new ManagedServiceIdentityClient(credentialFor(options), options.subscriptionId, pipelineOptions(options));
}

/**
 * `@azure/arm-monitor` 7 (Metrics – List at api-version 2018-01-01): an online endpoint's Azure
 * Monitor metrics, through ARM with the same credential and scope as the other clients. Pinned to 7:
 * 8.x requires Node ≥ 22 and this package also runs on Node 20.
 */
export function createMonitorClient(options: AzureClientOptions): MonitorClient {
  return new MonitorClient(credentialFor(options), options.subscriptionId, pipelineOptions(options));
}

/** How long one Storage request may take, and how often it is tried: an activity returns within seconds. */
const BLOB_TRY_TIMEOUT_MS = 10_000;
const BLOB_MAX_TRIES = 3;

/**
 * `@azure/storage-blob` 12.32 (pinned below 12.33, which requires Node ≥ 22; this package also runs on
 * Node 20): a Blob service client for one account URL, with the same TokenCredential as the ARM
 * clients (the SDK asks it for `https://storage.azure.com/.default`). `caCertPem` reaches the TLS
 * policy the same way as for the ARM clients: the storage pipeline spreads its options into
 * core-client's `createClientPipeline` (storage-blob `Pipeline.js`, `getCoreClientOptions`), which adds
 * `tlsPolicy(tlsOptions)`; StoragePipelineOptions does not declare `tlsOptions`, hence the wider type.
 * The account URL is `https://<account>.blob.<endpoint>` in Azure, or path-style
 * `https://127.0.0.1:<port>/<account>` against the simulator (the SDK reads the account and container
 * from the path for an IP host: `isIpEndpointStyle` in storage-blob's utils.common.js).
 */
export function createBlobServiceClient(options: Omit<AzureClientOptions, "subscriptionId" | "endpoint">, accountUrl: string): BlobServiceClient {
  const retry = options.retryOptions;
  const pipeline: StoragePipelineOptions & { tlsOptions?: { ca: string } } = {
    userAgentOptions: { userAgentPrefix: "flowdeploy" },
    retryOptions: {
      maxTries: retry?.maxRetries !== undefined ? retry.maxRetries + 1 : BLOB_MAX_TRIES,
      tryTimeoutInMs: BLOB_TRY_TIMEOUT_MS,
      ...(retry?.retryDelayInMs !== undefined ? { retryDelayInMs: retry.retryDelayInMs } : { retryDelayInMs: 500 }),
      ...(retry?.maxRetryDelayInMs !== undefined ? { maxRetryDelayInMs: retry.maxRetryDelayInMs } : { maxRetryDelayInMs: 2_000 }),
    },
    ...(options.caCertPem ? { tlsOptions: { ca: options.caCertPem } } : {}),
  };
  return new BlobServiceClient(accountUrl, credentialFor(options), pipeline);
}

export interface ScoringClientOptions {
  /** Extra CA (PEM) to trust for the scoring URI, e.g. `simulator.caCertPem`. */
  caCertPem?: string;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Replace the HTTP client (tests). */
  httpClient?: HttpClient;
}

/**
 * POSTs flow inputs to an online endpoint's scoring URI (README wire facts (d)). Uses the SDK's own
 * HTTP client so the same `caCertPem` trust works without a global agent or NODE_EXTRA_CA_CERTS.
 * Non-2xx answers are returned, not thrown: the caller decides what a 401/424 means.
 */
export function createScoringClient(options: ScoringClientOptions = {}): ScoringClient {
  const http = options.httpClient ?? createDefaultHttpClient();
  // One settings object per client: the HTTP client caches its https.Agent per settings object.
  const tlsSettings = options.caCertPem ? { ca: options.caCertPem } : undefined;
  return {
    async score(request) {
      const headers = createHttpHeaders({
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${request.secret}`,
      });
      if (request.deployment) headers.set("azureml-model-deployment", request.deployment);
      const pipelineRequest = createPipelineRequest({
        url: request.scoringUri,
        method: "POST",
        headers,
        body: JSON.stringify(request.input),
        timeout: request.timeoutMs ?? options.timeoutMs ?? 30_000,
      });
      // createPipelineRequest does not copy tlsSettings; the HTTP client reads it from the request.
      if (tlsSettings) pipelineRequest.tlsSettings = tlsSettings;
      const response = await http.sendRequest(pipelineRequest);
      const text = response.bodyAsText ?? "";
      let body: unknown = text;
      try {
        body = text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers.toJSON(), body };
    },
  };
}
