import type { AzureBlobDatastore, DatastorePropertiesUnion } from "@azure/arm-machinelearning";
import type { BlobClient } from "@azure/storage-blob";
import { ReadParityInputsInput, type ParityInputs } from "../contracts/activities";
import { MAX_INPUT_DEPTH, MAX_PARITY_INPUTS, MAX_PARITY_INPUTS_FILE_BYTES, nestsDeeperThan, parityInputsFileOf } from "../contracts/deployRequest";
import { NonRetryableError, PipelineError, isRetryableStatus } from "../errors";
import { isNotFound, wsArgs } from "./arm";
import type { ActivityDeps } from "./deps";

/**
 * Azure's storage endpoint suffixes, one per cloud (public, US Government, China): a blob account is
 * `<account>.blob.<suffix>` ("Authorize access to blobs using Microsoft Entra ID", the table of
 * endpoints per cloud; the `endpoint` of an AzureBlob datastore, "core.windows.net" in the
 * azure-rest-api-specs Datastore examples). The Function App's Storage token goes to no other host:
 * a datastore naming another endpoint is refused.
 */
export const STORAGE_ENDPOINT_SUFFIXES = ["core.windows.net", "core.usgovcloudapi.net", "core.chinacloudapi.cn"] as const;

/** Storage account names: 3-24 lowercase letters and digits (Azure naming rules, Microsoft.Storage/storageAccounts). */
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
/** Container names: 3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric ("Naming and referencing containers"). */
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Storage Blob Data Reader: the role that reads blobs (Microsoft.Storage/.../blobs/read), on the storage account. */
const BLOB_READER_HINT = "the Function App identity needs Storage Blob Data Reader on that storage account (docs/pipeline.md, \"Permissions of the Function App itself\")";

/**
 * Reads a migration's parity inputs from a JSONL file in a datastore of the target workspace: the
 * datastore from ARM (`datastores.get`: an AzureBlob datastore's account, container, endpoint and
 * protocol), then the blob with `@azure/storage-blob` and the activities' own credential — its size
 * first (Get Blob Properties), so a file over MAX_PARITY_INPUTS_FILE_BYTES is refused without being
 * downloaded, then its content (Get Blob), read no further than that limit. Each non-empty line must
 * be a JSON object nested at most MAX_INPUT_DEPTH deep, and at most MAX_PARITY_INPUTS lines may be;
 * a bad file fails with ParityInputsInvalid naming the line, a missing one with ParityInputsNotFound.
 * The token stays in the SDK's pipeline: errors carry Storage's code and status, never the request.
 */
export async function readParityInputs(deps: ActivityDeps, rawInput: ReadParityInputsInput): Promise<ParityInputs> {
  const input = ReadParityInputsInput.parse(rawInput);
  const file = parityInputsFileOf(input.uri);
  if (!file) throw invalid(input.uri, "is not a datastore file URI azureml://datastores/<store>/paths/<path>.jsonl");
  const datastore = await readDatastore(deps, input.workspace, file.datastore, input.uri);
  const blob = deps.blob(accountUrl(deps, datastore, file.datastore)).getContainerClient(datastore.containerName).getBlobClient(file.path);

  const properties = await storageCall(() => blob.getProperties(), input.uri, datastore.accountName);
  const size = properties.contentLength ?? 0;
  if (size > MAX_PARITY_INPUTS_FILE_BYTES) throw invalid(input.uri, `is ${size} bytes; at most ${MAX_PARITY_INPUTS_FILE_BYTES} (256 KB) are read`);
  const content = await download(blob, input.uri, datastore.accountName);
  // A UTF-8 byte-order mark is not part of the first line.
  return { inputs: parseLines(content.toString("utf8").replace(/^\uFEFF/, ""), input.uri), bytes: content.length };
}

type BlobDatastore = Required<Pick<AzureBlobDatastore, "accountName" | "containerName">> & AzureBlobDatastore;

async function readDatastore(deps: ActivityDeps, workspace: ReadParityInputsInput["workspace"], name: string, uri: string): Promise<BlobDatastore> {
  const [rg, ws] = wsArgs(workspace);
  let properties: DatastorePropertiesUnion;
  try {
    properties = (await deps.ml(workspace.subscriptionId).datastores.get(rg, ws, name)).properties;
  } catch (err) {
    if (isNotFound(err)) throw new NonRetryableError(`parity.inputsFile ${uri}: workspace ${workspace.name} has no datastore ${name}`, { code: "ParityInputsNotFound", status: 404 });
    throw err;
  }
  if (properties.datastoreType !== "AzureBlob") {
    throw invalid(uri, `names datastore ${name}, an ${properties.datastoreType} datastore; parity inputs are read from an AzureBlob datastore (such as workspaceblobstore)`);
  }
  const blob = properties as AzureBlobDatastore;
  if (!blob.accountName || !ACCOUNT_NAME.test(blob.accountName)) throw invalid(uri, `names datastore ${name}, which names no valid storage account`);
  if (!blob.containerName || !CONTAINER_NAME.test(blob.containerName)) throw invalid(uri, `names datastore ${name}, which names no valid blob container`);
  return blob as BlobDatastore;
}

/**
 * The datastore's account URL: `https://<account>.blob.<endpoint>` in Azure (https only: the SDK's
 * bearer policy refuses anything else, and a token never goes over http), on an Azure storage suffix;
 * `<blobEndpoint>/<account>` (path-style) where a setting says Blob storage is elsewhere (the simulator).
 */
function accountUrl(deps: ActivityDeps, datastore: BlobDatastore, name: string): string {
  const local = deps.settings.blobEndpoint;
  if (local) return `${local.replace(/\/+$/, "")}/${datastore.accountName}`;
  const protocol = (datastore.protocol ?? "https").toLowerCase();
  const endpoint = (datastore.endpoint ?? "core.windows.net").toLowerCase();
  if (protocol !== "https") throw new NonRetryableError(`datastore ${name} uses protocol ${protocol}; parity inputs are read over https only`, { code: "ParityInputsInvalid" });
  if (!(STORAGE_ENDPOINT_SUFFIXES as readonly string[]).includes(endpoint)) {
    throw new NonRetryableError(`datastore ${name} names storage endpoint ${endpoint}, not an Azure one (${STORAGE_ENDPOINT_SUFFIXES.join(", ")}); not read`, { code: "ParityInputsInvalid" });
  }
  return `https://${datastore.accountName}.blob.${endpoint}`;
}

/** Downloads the blob, reading at most MAX_PARITY_INPUTS_FILE_BYTES (it may have grown since its size was read). */
async function download(blob: BlobClient, uri: string, account: string): Promise<Buffer> {
  const response = await storageCall(() => blob.download(0), uri, account);
  const stream = response.readableStreamBody;
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > MAX_PARITY_INPUTS_FILE_BYTES) {
      if ("destroy" in stream && typeof stream.destroy === "function") stream.destroy();
      throw invalid(uri, `is more than ${MAX_PARITY_INPUTS_FILE_BYTES} bytes (256 KB)`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** One input per non-empty line; every error names its line (1-based, blank lines counted). */
function parseLines(text: string, uri: string): Record<string, unknown>[] {
  const inputs: Record<string, unknown>[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const n = i + 1;
    if (inputs.length === MAX_PARITY_INPUTS) throw invalid(uri, `line ${n}: more than ${MAX_PARITY_INPUTS} inputs; a parity check takes at most ${MAX_PARITY_INPUTS}`);
    let value: unknown;
    try {
      value = JSON.parse(line) as unknown;
    } catch {
      throw invalid(uri, `line ${n}: not valid JSON`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(uri, `line ${n}: expected a JSON object of inputs, got ${Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`}`);
    if (nestsDeeperThan(value, MAX_INPUT_DEPTH)) throw invalid(uri, `line ${n}: nests deeper than ${MAX_INPUT_DEPTH} levels`);
    inputs.push(value as Record<string, unknown>);
  }
  if (inputs.length === 0) throw invalid(uri, "holds no inputs: give one JSON object a line");
  return inputs;
}

function invalid(uri: string, what: string): NonRetryableError {
  return new NonRetryableError(`parity.inputsFile ${uri}${what.startsWith("line ") ? ", " : " "}${what}`, { code: "ParityInputsInvalid" });
}

/**
 * A Storage call, its failure turned into a PipelineError from Storage's status and error code only
 * (x-ms-error-code): the SDK's RestError keeps the request, bearer token included, so it is not
 * passed on as the cause. 404 → ParityInputsNotFound; 401/403 → what the app identity is missing.
 */
async function storageCall<T>(call: () => Promise<T>, uri: string, account: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const status = (err as { statusCode?: unknown }).statusCode;
    // GET errors carry Storage's code in the XML body (RestError.code); HEAD has no body, so it is
    // the x-ms-error-code header, which the SDK deserializes into the headers' `errorCode` (RestError.details).
    const fromHeader = (err as { details?: { errorCode?: unknown } }).details?.errorCode;
    const code = typeof fromHeader === "string" ? fromHeader : (err as { code?: unknown }).code;
    if (typeof status !== "number") {
      const net = typeof code === "string" ? code : "REQUEST_SEND_ERROR";
      throw new PipelineError(`reading parity.inputsFile ${uri} from storage account ${account} failed: ${net}`, { code: net, retryable: true });
    }
    const storageCode = typeof code === "string" ? code : `Http${status}`;
    if (status === 404) throw new NonRetryableError(`parity.inputsFile ${uri}: no such blob in storage account ${account} (${storageCode})`, { code: "ParityInputsNotFound", status });
    if (status === 401 || status === 403) {
      throw new NonRetryableError(`parity.inputsFile ${uri}: storage account ${account} refused the read (${status} ${storageCode}); ${BLOB_READER_HINT}`, { code: storageCode, status });
    }
    throw new PipelineError(`reading parity.inputsFile ${uri} from storage account ${account} failed: ${status} ${storageCode}`, { code: storageCode, status, retryable: isRetryableStatus(status) });
  }
}
