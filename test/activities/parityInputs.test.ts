import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_PARITY_INPUTS_FILE_BYTES } from "../../src/contracts/deployRequest";
import { loadScenarioFile, type ScenarioInput } from "../../src/local/simulator";
import { readJson, repoRoot } from "../support/samples";
import { simWorkspace, startActivityHarness, type ActivityHarness } from "../support/activityHarness";

/**
 * readParityInputs with the real SDKs against the simulator: `datastores.get` through
 * @azure/arm-machinelearning, then Get Blob Properties and Get Blob through @azure/storage-blob, over
 * HTTPS with the simulator's CA and the harness's static token.
 */
let h: ActivityHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const URI = "azureml://datastores/workspaceblobstore/paths/parity/cases.jsonl";
/** What the harness's static credential hands out: it must never show in a result or an error. */
const TOKEN = "flowdeploy-local-token";

async function withFile(content: string, extra: Partial<ScenarioInput> = {}) {
  h = await startActivityHarness({ datastoreFiles: [{ uri: URI, content }], ...extra });
  return simWorkspace(h);
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; status?: number; retryable: boolean }> {
  const err = await promise.then(
    () => expect.unreachable("expected the activity to fail"),
    (e: unknown) => e,
  );
  // Nothing about the failure carries the token: message, serialized form, or its inspected chain.
  expect(JSON.stringify(err)).not.toContain(TOKEN);
  expect(inspect(err, { depth: 8 })).not.toContain(TOKEN);
  return err as { code: string; message: string; status?: number; retryable: boolean };
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ url: `https://example.com/${i}` })).join("\n");

describe("readParityInputs", () => {
  it("reads the migration sample's file: the six inputs of migrate.request.json, in order", async () => {
    const parsed = loadScenarioFile(join(repoRoot, "samples", "scenarios", "migration.json"));
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    h = await startActivityHarness(parsed.value);
    const result = await h.activities.readParityInputs({ workspace: simWorkspace(h), uri: "azureml://datastores/workspaceblobstore/paths/parity/web-classification.jsonl" });
    const inline = readJson<{ parity: { inputs: unknown[] } }>(join(repoRoot, "samples", "agents", "migrate.request.json")).parity.inputs;
    expect(result).toEqual({ inputs: inline, bytes: Buffer.byteLength(parsed.value.datastoreFiles[0]!.content) });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    // The datastore from ARM, then the blob's size (HEAD), then its content (GET), on the workspace's account, path-style.
    expect(h.sim.requests().map((r) => `${r.method} ${r.operation} ${r.status}`)).toEqual(["GET datastores.get 200", "HEAD blobs.getProperties 200", "GET blobs.download 200"]);
    expect(h.sim.requests()[2]!.path).toMatch(/^\/st[0-9a-f]{10}\/azureml-blobstore-[0-9a-f-]{36}\/parity\/web-classification\.jsonl$/);
  });

  it("skips blank lines (CRLF too) and a byte-order mark; the long workspace form reads the same file", async () => {
    const content = '\uFEFF{"url":"a"}\r\n\r\n  \n{"url":"b","n":{"x":[1]}}\r\n';
    const workspace = await withFile(content);
    const long = `azureml://subscriptions/${workspace.subscriptionId}/resourcegroups/${workspace.resourceGroup}/workspaces/${workspace.name}/datastores/workspaceblobstore/paths/parity/cases.jsonl`;
    for (const uri of [URI, long]) {
      expect(await h!.activities.readParityInputs({ workspace, uri })).toEqual({ inputs: [{ url: "a" }, { url: "b", n: { x: [1] } }], bytes: Buffer.byteLength(content) });
    }
  });

  it("refuses more than 50 inputs, naming the line of the 51st", async () => {
    const workspace = await withFile(`${lines(50)}\n\n${lines(1)}\n`);
    expect(await failure(h!.activities.readParityInputs({ workspace, uri: URI }))).toMatchObject({
      code: "ParityInputsInvalid",
      retryable: false,
      message: `parity.inputsFile ${URI}, line 52: more than 50 inputs; a parity check takes at most 50`,
    });
  });

  it("names the line that is not JSON (blank lines counted)", async () => {
    const workspace = await withFile('{"url":"a"}\n\n{"url": "b",}\n');
    expect(await failure(h!.activities.readParityInputs({ workspace, uri: URI }))).toMatchObject({ code: "ParityInputsInvalid", message: `parity.inputsFile ${URI}, line 3: not valid JSON` });
  });

  it.each([
    ['["https://example.com"]', "line 1: expected a JSON object of inputs, got an array"],
    ['"https://example.com"', "line 1: expected a JSON object of inputs, got a string"],
    ["null", "line 1: expected a JSON object of inputs, got null"],
    [`${"[".repeat(40)}${"]".repeat(40)}`, "line 1: expected a JSON object of inputs, got an array"],
    [`{"a":${"[".repeat(40)}${"]".repeat(40)}}`, "line 1: nests deeper than 32 levels"],
  ])("refuses a line that is not an object of inputs: %s", async (line, expected) => {
    const workspace = await withFile(`${line}\n`);
    expect(await failure(h!.activities.readParityInputs({ workspace, uri: URI }))).toMatchObject({ code: "ParityInputsInvalid", message: `parity.inputsFile ${URI}, ${expected}` });
  });

  it("refuses a file with no inputs", async () => {
    const workspace = await withFile("\n \n");
    expect(await failure(h!.activities.readParityInputs({ workspace, uri: URI }))).toMatchObject({ code: "ParityInputsInvalid", message: `parity.inputsFile ${URI} holds no inputs: give one JSON object a line` });
  });

  it("refuses a file over 256 KB from its size alone, without downloading it", async () => {
    const big = `{"url":"${"x".repeat(MAX_PARITY_INPUTS_FILE_BYTES)}"}\n`;
    const workspace = await withFile(big);
    expect(await failure(h!.activities.readParityInputs({ workspace, uri: URI }))).toMatchObject({
      code: "ParityInputsInvalid",
      message: `parity.inputsFile ${URI} is ${big.length} bytes; at most 262144 (256 KB) are read`,
    });
    expect(h!.sim.requests().map((r) => r.operation)).toEqual(["datastores.get", "blobs.getProperties"]);
  });

  it("a missing blob is ParityInputsNotFound, as Storage's 404 BlobNotFound says", async () => {
    const workspace = await withFile(lines(1));
    const uri = "azureml://datastores/workspaceblobstore/paths/parity/other.jsonl";
    expect(await failure(h!.activities.readParityInputs({ workspace, uri }))).toMatchObject({
      code: "ParityInputsNotFound",
      status: 404,
      retryable: false,
      message: expect.stringMatching(new RegExp(`^parity\\.inputsFile ${uri.replace(/\./g, "\\.")}: no such blob in storage account st[0-9a-f]{10} \\(BlobNotFound\\)$`)),
    });
  });

  it("an unknown datastore is ParityInputsNotFound, from ARM's 404", async () => {
    const workspace = await withFile(lines(1));
    const uri = "azureml://datastores/nosuchstore/paths/parity/cases.jsonl";
    expect(await failure(h!.activities.readParityInputs({ workspace, uri }))).toMatchObject({ code: "ParityInputsNotFound", status: 404, message: `parity.inputsFile ${uri}: workspace ws-promptflow has no datastore nosuchstore` });
    expect(h!.sim.requests().map((r) => `${r.operation} ${r.status}`)).toEqual(["datastores.get 404"]);
  });

  it("refuses a datastore that is not Azure Blob, reading nothing from storage", async () => {
    const workspace = await withFile(lines(1));
    const uri = "azureml://datastores/workspacefilestore/paths/parity/cases.jsonl";
    expect(await failure(h!.activities.readParityInputs({ workspace, uri }))).toMatchObject({
      code: "ParityInputsInvalid",
      message: `parity.inputsFile ${uri} names datastore workspacefilestore, an AzureFile datastore; parity inputs are read from an AzureBlob datastore (such as workspaceblobstore)`,
    });
    expect(h!.sim.requests().map((r) => r.operation)).toEqual(["datastores.get"]);
  });

  it("Storage's 403 says which role the Function App identity lacks, with Storage's code", async () => {
    const workspace = await withFile(lines(1), { faults: [{ op: "blobs.getProperties", status: 403 }] });
    expect(await failure(h!.activities.readParityInputs({ workspace, uri: URI }))).toMatchObject({
      code: "AuthorizationPermissionMismatch",
      status: 403,
      retryable: false,
      message: expect.stringMatching(
        /^parity\.inputsFile \S+: storage account st[0-9a-f]{10} refused the read \(403 AuthorizationPermissionMismatch\); the Function App identity needs Storage Blob Data Reader on that storage account \(docs\/pipeline\.md, "Permissions of the Function App itself"\)$/,
      ),
    });
  });

  it("Storage's 503 is retryable; the SDK's own retries come first", async () => {
    const workspace = await withFile(lines(1), { faults: [{ op: "blobs.download", status: 503, times: -1 }] });
    expect(await failure(h!.activities.readParityInputs({ workspace, uri: URI }))).toMatchObject({ code: "ServerBusy", status: 503, retryable: true });
    // maxRetries 3 in the harness: four tries of Get Blob.
    expect(h!.sim.requests().filter((r) => r.operation === "blobs.download")).toHaveLength(4);
  });

  it("never puts the token in a result or an error, though every Storage request carried it", async () => {
    const workspace = await withFile(`${lines(3)}\n`);
    const outcomes: unknown[] = [];
    for (const uri of [URI, "azureml://datastores/workspaceblobstore/paths/none.jsonl", "azureml://datastores/workspacefilestore/paths/x.jsonl", "azureml://datastores/nope/paths/x.jsonl"]) {
      outcomes.push(await h!.activities.readParityInputs({ workspace, uri }).catch((e: unknown) => e));
    }
    h!.sim.injectFault({ op: "blobs.download", status: 403 });
    outcomes.push(await h!.activities.readParityInputs({ workspace, uri: URI }).catch((e: unknown) => e));
    expect(outcomes.filter((o) => o instanceof Error)).toHaveLength(4);
    for (const o of outcomes) {
      expect(JSON.stringify(o)).not.toContain(TOKEN);
      expect(inspect(o, { depth: 8 })).not.toContain(TOKEN);
      if (o instanceof Error) expect(`${o.message} ${o.stack ?? ""}`).not.toContain(TOKEN);
    }
    expect(h!.logs.join("\n")).not.toContain(TOKEN);
  });
});
