import { createHash, randomUUID } from "node:crypto";
import { defaultDatastores, findDatastore } from "./datastores";
import { takeRequestFault } from "./faults";
import type { SimResponse } from "./httpResponse";
import type { WorkspaceRef } from "./ids";
import type { RequestContext } from "./requestContext";
import type { Fault, Scenario } from "./scenario";
import type { SimState } from "./stateStore";
import type { HubState } from "./workspaces";

/**
 * Azure Blob Storage's data plane for the workspaces' storage accounts, path-style as the storage
 * emulators are addressed (`https://127.0.0.1:PORT/<account>/<container>/<blob>`; "Get Blob
 * Properties", Emulated storage service URI). Two operations, as `@azure/storage-blob` sends them:
 * Get Blob (GET → `BlobClient.download`) and Get Blob Properties (HEAD → `BlobClient.getProperties`).
 * The blobs are the scenario's `datastoreFiles`. Checks, in order: a bearer token (401
 * NoAuthenticationInformation), `x-ms-version` ("required for all authorized requests"; OAuth needs
 * 2017-11-09 or later: "Authorize with Microsoft Entra ID"), injected fault, container, blob. Errors
 * are Storage's: XML `<Error><Code/><Message/></Error>` with `x-ms-error-code`, and a HEAD answer has
 * the header only (no body). Any token is accepted, as for ARM: RBAC on blobs is not simulated (a
 * fault with status 403 stands for a missing Storage Blob Data Reader).
 */

export interface BlobRecord {
  account: string;
  container: string;
  /** The blob name, case kept (blob names are case-sensitive). */
  name: string;
  content: string;
  contentType: string;
  etag: string;
  createdOn: string;
}

/** Blobs by `account/container/name`, and the containers that exist (`account/container`). */
export type BlobState = { blobs?: Record<string, BlobRecord>; blobContainers?: string[] };

/** Azure Storage answers every request with the version it used; the SDK's own is echoed when valid. */
const OAUTH_MIN_VERSION = "2017-11-09";

/** An error in Storage's shape (Blob service error codes; common REST API error codes). */
export class StorageError extends Error {
  override readonly name = "StorageError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The blob a `datastoreFiles` URI names: its workspace's datastore → account and container; the path → blob name. */
export function blobOfDatastoreUri(state: HubState, uri: string, fallback: WorkspaceRef): { account: string; container: string; name: string } | undefined {
  const m = /^azureml:\/\/(?:subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/workspaces\/([^/]+)\/)?datastores\/([^/]+)\/paths\/(.+)$/i.exec(uri);
  if (!m) return undefined;
  const ws = m[1] ? { subscriptionId: m[1], resourceGroup: m[2]!, workspace: m[3]! } : fallback;
  const store = findDatastore(state, ws, m[4]!);
  if (!store || store.datastoreType !== "AzureBlob") return undefined;
  return { account: store.accountName, container: store.container, name: m[5]! };
}

/** Seeds the default blob containers of the scenario's workspace (and its projects') and the scenario's files. */
export function seedBlobs(state: SimState, scenario: Scenario | undefined, ws: WorkspaceRef, at: Date): void {
  const s = state as SimState & BlobState & HubState;
  const workspaces = [ws, ...(scenario?.projects ?? []).map((p) => ({ subscriptionId: ws.subscriptionId, resourceGroup: p.resourceGroup ?? ws.resourceGroup, workspace: p.name }))];
  const containers = new Set<string>();
  for (const w of workspaces) for (const d of defaultDatastores(s, w)) if (d.datastoreType === "AzureBlob") containers.add(`${d.accountName}/${d.container}`);
  s.blobs = {};
  for (const file of scenario?.datastoreFiles ?? []) {
    const where = blobOfDatastoreUri(s, file.uri, ws);
    if (!where) throw new Error(`scenario datastoreFiles: ${file.uri} is not in an AzureBlob datastore of the workspace (workspaceblobstore or workspaceartifactstore)`);
    containers.add(`${where.account}/${where.container}`);
    s.blobs[`${where.account}/${where.container}/${where.name}`] = {
      ...where,
      content: file.content,
      contentType: file.contentType,
      etag: `"0x${createHash("sha256").update(file.content).digest("hex").slice(0, 15).toUpperCase()}"`,
      createdOn: at.toISOString(),
    };
  }
  s.blobContainers = [...containers];
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Headers every Storage answer carries (Get Blob: x-ms-request-id, x-ms-version, Date). */
function commonHeaders(ctx: RequestContext): Record<string, string> {
  const version = header(ctx, "x-ms-version");
  return {
    "x-ms-request-id": randomUUID(),
    ...(version && /^\d{4}-\d{2}-\d{2}$/.test(version) ? { "x-ms-version": version } : {}),
    Date: ctx.now.toUTCString(),
    Server: "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0",
  };
}

/**
 * The XML error body: `<?xml …?><Error><Code>…</Code><Message>…\nRequestId:…\nTime:…</Message></Error>`
 * (Storage's error response format); none for HEAD, where only `x-ms-error-code` says it.
 */
function errorResponse(ctx: RequestContext, err: StorageError): SimResponse {
  const headers: Record<string, string> = { ...commonHeaders(ctx), ...err.headers, "x-ms-error-code": err.code };
  if (ctx.method === "HEAD") return { status: err.status, headers, raw: Buffer.alloc(0), head: true };
  const message = `${err.message}\nRequestId:${headers["x-ms-request-id"]}\nTime:${ctx.now.toISOString().replace(/Z$/, "0000Z")}`;
  const xml = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${escapeXml(err.code)}</Code><Message>${escapeXml(message)}</Message></Error>`;
  return { status: err.status, headers: { ...headers, "Content-Type": "application/xml" }, raw: Buffer.from(xml, "utf8") };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Storage's code for a fault given only a status. */
function faultCode(status: number): string {
  if (status === 403) return "AuthorizationPermissionMismatch";
  if (status === 404) return "BlobNotFound";
  if (status === 503) return "ServerBusy";
  return status >= 500 ? "InternalError" : "InvalidInput";
}

const FAULT_MESSAGES: Record<string, string> = {
  AuthorizationPermissionMismatch: "This request is not authorized to perform this operation using this permission.",
  ServerBusy: "The server is currently unable to receive requests. Please retry your request.",
  InternalError: "The server encountered an internal error. Please retry the request.",
};

function faultResponse(ctx: RequestContext, fault: Fault): SimResponse {
  const status = fault.status ?? 500;
  const code = fault.code ?? faultCode(status);
  const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { "Retry-After": String(fault.retryAfterSeconds) } : {};
  return errorResponse(ctx, new StorageError(status, code, fault.message ?? FAULT_MESSAGES[code] ?? `The request failed with HTTP ${status} (simulated fault).`, headers));
}

/**
 * The Storage request pipeline: authentication → version → fault → the operation. A request without a
 * bearer token gets 401 NoAuthenticationInformation with the Entra challenge Storage sends
 * (`WWW-Authenticate: Bearer authorization_uri=…/<tenant>/oauth2/authorize resource_id=https://storage.azure.com`).
 */
export function storagePipeline(ctx: RequestContext, operation: string | undefined): SimResponse {
  try {
    const auth = header(ctx, "authorization");
    if (!auth || !/^Bearer\s+\S+/i.test(auth.trim())) {
      throw new StorageError(401, "NoAuthenticationInformation", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.", {
        "WWW-Authenticate": `Bearer authorization_uri=https://login.microsoftonline.com/${ctx.state.tenantId}/oauth2/authorize resource_id=https://storage.azure.com`,
      });
    }
    const version = header(ctx, "x-ms-version");
    if (!version) throw new StorageError(400, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified. (x-ms-version)");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(version) || version < OAUTH_MIN_VERSION) {
      throw new StorageError(400, "InvalidHeaderValue", `The value for one of the HTTP headers is not in the correct format. (x-ms-version: ${version}; Microsoft Entra authorization needs ${OAUTH_MIN_VERSION} or later)`);
    }
    if (!operation) throw new StorageError(405, "UnsupportedHttpVerb", `The resource doesn't support the specified HTTP verb ${ctx.method}.`);
    const fault = takeRequestFault(ctx.state, { operation }, ctx.now);
    if (fault) {
      ctx.appliedFault = fault.reset ? "reset" : "status";
      return fault.reset ? { status: 0, reset: true } : faultResponse(ctx, fault);
    }
    return readBlob(ctx);
  } catch (err) {
    if (err instanceof StorageError) return errorResponse(ctx, err);
    throw err;
  }
}

/** Get Blob (GET) / Get Blob Properties (HEAD) of a block blob: its content and properties, or 404. */
function readBlob(ctx: RequestContext): SimResponse {
  const { account, container, blob } = ctx.params as { account: string; container: string; blob: string };
  const s = ctx.state as SimState & BlobState;
  if (!(s.blobContainers ?? []).includes(`${account.toLowerCase()}/${container.toLowerCase()}`)) {
    throw new StorageError(404, "ContainerNotFound", "The specified container does not exist.");
  }
  const record = s.blobs?.[`${account.toLowerCase()}/${container.toLowerCase()}/${blob}`];
  if (!record) throw new StorageError(404, "BlobNotFound", "The specified blob does not exist.");
  const bytes = Buffer.from(record.content, "utf8");
  const headers: Record<string, string> = {
    ...commonHeaders(ctx),
    "Content-Type": record.contentType,
    "Content-Length": String(bytes.length),
    ETag: record.etag,
    "Last-Modified": new Date(record.createdOn).toUTCString(),
    "x-ms-creation-time": new Date(record.createdOn).toUTCString(),
    "x-ms-blob-type": "BlockBlob",
    "x-ms-lease-status": "unlocked",
    "x-ms-lease-state": "available",
    "x-ms-server-encrypted": "true",
    "Accept-Ranges": "bytes",
  };
  if (ctx.method === "HEAD") return { status: 200, headers: { ...headers, "x-ms-access-tier": "Hot", "x-ms-access-tier-inferred": "true" }, raw: Buffer.alloc(0), head: true };
  // A range (x-ms-range, or Range) answers 206 with Content-Range ("Specifying the range header for Blob service operations").
  const range = header(ctx, "x-ms-range") ?? header(ctx, "range");
  if (range) {
    const m = /^bytes=(\d+)-(\d*)$/.exec(range.trim());
    const start = m ? Number(m[1]) : NaN;
    if (!m || start >= bytes.length) throw new StorageError(416, "InvalidRange", "The range specified is invalid for the current size of the resource.");
    const end = Math.min(m[2] ? Number(m[2]) : bytes.length - 1, bytes.length - 1);
    const part = bytes.subarray(start, end + 1);
    return { status: 206, headers: { ...headers, "Content-Length": String(part.length), "Content-Range": `bytes ${start}-${end}/${bytes.length}` }, raw: part };
  }
  return { status: 200, headers, raw: bytes };
}
