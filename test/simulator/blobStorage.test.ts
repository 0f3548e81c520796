import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator, type Simulator } from "../../src/local/simulator";
import { clientsFor, fixtureBody, ML, raw, shapeDiff, wsPath, type Clients } from "./support/harness";

/**
 * Datastores (ARM) and the Blob storage data plane the simulator serves for a scenario's
 * `datastoreFiles`: Datastores_Get in the spec example's shape, and Get Blob / Get Blob Properties as
 * Azure Storage answers them, errors in Storage's XML shape with x-ms-error-code.
 */
const CONTENT = '{"url":"https://example.com/a"}\n{"url":"https://example.com/b"}\n';
const VERSION = { "x-ms-version": "2025-11-05" };

describe("datastores and blob storage", () => {
  let sim: Simulator;
  let c: Clients;
  let blobPath: string;

  beforeAll(async () => {
    sim = await startSimulator({
      clock: new VirtualClock("2026-07-01T00:00:00Z"),
      scenario: { datastoreFiles: [{ uri: "azureml://datastores/workspaceblobstore/paths/parity/cases.jsonl", content: CONTENT }] },
    });
    c = clientsFor(sim);
    const ds = await c.ml.datastores.get(c.ws.resourceGroup, c.ws.workspace, "workspaceblobstore");
    const p = ds.properties as { accountName: string; containerName: string };
    blobPath = `/${p.accountName}/${p.containerName}/parity/cases.jsonl`;
  });
  afterAll(async () => sim.close());

  it("datastores.get: the spec example's shape; the default blob datastore on the workspace's storage account", async () => {
    const res = await raw(sim, "GET", wsPath(c.ws, `/datastores/workspaceblobstore${ML}`));
    expect(res.status).toBe(200);
    expect(shapeDiff(res.body, fixtureBody("datastores.get.json", "200"), { nullable: ["properties.description", "properties.properties"], maps: ["properties.tags"], allowExtra: ["properties.serviceDataAccessAuthIdentity"] })).toEqual([]);
    const workspace = (await raw(sim, "GET", wsPath(c.ws, ML))).body as { properties: { storageAccount: string; workspaceId: string } };
    expect(res.body).toMatchObject({
      name: "workspaceblobstore",
      type: "Microsoft.MachineLearningServices/workspaces/datastores",
      properties: {
        datastoreType: "AzureBlob",
        isDefault: true,
        accountName: workspace.properties.storageAccount.split("/").pop(),
        containerName: `azureml-blobstore-${workspace.properties.workspaceId}`,
        endpoint: "core.windows.net",
        protocol: "https",
        credentials: { credentialsType: "AccountKey" },
      },
    });
    // The SDK reads it as its AzureBlob datastore; the file share datastore as AzureFile.
    const files = await c.ml.datastores.get(c.ws.resourceGroup, c.ws.workspace, "workspacefilestore");
    expect(files.properties).toMatchObject({ datastoreType: "AzureFile", fileShareName: `azureml-filestore-${workspace.properties.workspaceId}` });
  });

  it("datastores.get of an unknown name: ARM's 404 ResourceNotFound", async () => {
    const res = await raw(sim, "GET", wsPath(c.ws, `/datastores/nosuchstore${ML}`));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: {
        code: "ResourceNotFound",
        message: `The Resource 'Microsoft.MachineLearningServices/workspaces/${c.ws.workspace}/datastores/nosuchstore' under resource group '${c.ws.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      },
    });
  });

  it("Get Blob and Get Blob Properties: the content, its length and a block blob's headers", async () => {
    const get = await raw(sim, "GET", blobPath, { headers: VERSION });
    expect(get.status).toBe(200);
    expect(get.body).toBe(CONTENT);
    expect(get.headers).toMatchObject({ "content-length": String(CONTENT.length), "x-ms-blob-type": "BlockBlob", "x-ms-version": "2025-11-05", "accept-ranges": "bytes" });
    expect(get.headers["etag"]).toMatch(/^"0x[0-9A-F]{15}"$/);
    const head = await raw(sim, "HEAD", blobPath, { headers: VERSION });
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
    expect(head.headers).toMatchObject({ "content-length": String(CONTENT.length), etag: get.headers["etag"], "x-ms-blob-type": "BlockBlob" });
    const range = await raw(sim, "GET", blobPath, { headers: { ...VERSION, "x-ms-range": "bytes=0-9" } });
    expect(range).toMatchObject({ status: 206, body: CONTENT.slice(0, 10), headers: { "content-range": `bytes 0-9/${CONTENT.length}` } });
  });

  it("refuses a request without a bearer token (401 NoAuthenticationInformation, with the Entra challenge) or without x-ms-version (400)", async () => {
    const anonymous = await raw(sim, "GET", blobPath, { headers: VERSION, auth: false });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["x-ms-error-code"]).toBe("NoAuthenticationInformation");
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Bearer authorization_uri=https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}\/oauth2\/authorize resource_id=https:\/\/storage\.azure\.com$/);
    expect(anonymous.body).toMatch(/^<\?xml version="1\.0" encoding="utf-8"\?><Error><Code>NoAuthenticationInformation<\/Code><Message>Server failed to authenticate the request\. Please refer to the information in the www-authenticate header\.\nRequestId:[0-9a-f-]{36}\nTime:\S+<\/Message><\/Error>$/);
    const unversioned = await raw(sim, "GET", blobPath);
    expect(unversioned.status).toBe(400);
    expect(unversioned.headers["x-ms-error-code"]).toBe("MissingRequiredHeader");
    const old = await raw(sim, "GET", blobPath, { headers: { "x-ms-version": "2017-04-17" } });
    expect(old.status).toBe(400);
    expect(old.headers["x-ms-error-code"]).toBe("InvalidHeaderValue");
  });

  it("a missing blob or container: 404 in Storage's shape; HEAD answers with the header only", async () => {
    const missing = await raw(sim, "GET", blobPath.replace("cases.jsonl", "other.jsonl"), { headers: VERSION });
    expect(missing.status).toBe(404);
    expect(missing.headers).toMatchObject({ "x-ms-error-code": "BlobNotFound", "content-type": "application/xml" });
    expect(missing.body).toMatch(/^<\?xml version="1\.0" encoding="utf-8"\?><Error><Code>BlobNotFound<\/Code><Message>The specified blob does not exist\.\n/);
    const head = await raw(sim, "HEAD", blobPath.replace("cases.jsonl", "other.jsonl"), { headers: VERSION });
    expect(head).toMatchObject({ status: 404, body: undefined, headers: { "x-ms-error-code": "BlobNotFound" } });
    const container = await raw(sim, "GET", `/${blobPath.split("/")[1]}/nosuchcontainer/cases.jsonl`, { headers: VERSION });
    expect(container.status).toBe(404);
    expect(container.headers["x-ms-error-code"]).toBe("ContainerNotFound");
    const put = await raw(sim, "PUT", blobPath, { headers: VERSION, rawText: "x" });
    expect(put.status).toBe(405);
    expect(put.headers["x-ms-error-code"]).toBe("UnsupportedHttpVerb");
  });

  it("leaves ARM and scoring as they were: a blob fault does not select ARM calls, nor `*` blob calls", async () => {
    sim.injectFault({ op: "*", status: 500, times: 1 });
    expect((await raw(sim, "GET", blobPath, { headers: VERSION })).status).toBe(200);
    // The `*` fault is still armed: the next ARM call takes it.
    expect((await raw(sim, "GET", wsPath(c.ws, ML))).status).toBe(500);
    sim.injectFault({ op: "blobs.download", status: 403, times: 1 });
    expect((await raw(sim, "GET", wsPath(c.ws, ML))).status).toBe(200);
    const denied = await raw(sim, "GET", blobPath, { headers: VERSION });
    expect(denied.status).toBe(403);
    expect(denied.headers["x-ms-error-code"]).toBe("AuthorizationPermissionMismatch");
    expect(denied.body).toContain("<Message>This request is not authorized to perform this operation using this permission.\n");
    expect((await raw(sim, "GET", "/subscriptions")).status).toBe(404);
    expect(sim.requests({ operation: "blobs.download" }).length).toBeGreaterThan(0);
  });
});
