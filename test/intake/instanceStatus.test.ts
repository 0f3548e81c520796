import { HttpRequest } from "@azure/functions";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import type * as df from "durable-functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeployRequest } from "../../src/contracts/deployRequest";
import { DEPLOY_FLOW, RELEASE_ENDPOINT_LOCK } from "../../src/contracts/orchestration";
import { instanceIdFor } from "../../src/domain/ids";
import { answersNotFound, getStatusOrUndefined, type StatusQueryClient } from "../../src/intake/instanceStatus";
import { recoverEndpointLock } from "../../src/intake/lockRecovery";
import { startOnce } from "../../src/intake/startOnce";
import { FunctionRegistry, type LocalDurableClient } from "../../src/local/runner";
import { harness } from "../runner/support/harness";
import { sampleRequest } from "../support/samples";

/**
 * "No such instance" is told by the HTTP status the Durable extension answered, never by an error's
 * text. durable-functions 3.5's client throws a plain Error for the extension's 404 (and for every
 * other failure): the first block proves that on the library itself, driven against a stand-in for
 * the extension's status API, and that `getStatusOrUndefined` still tells the cases apart. The local
 * runner's client must answer an unknown id exactly as the real one does (second block). A failed
 * start is likewise judged by what the task hub holds afterwards, not by the message (third block).
 */
type RealClient = df.DurableClient & StatusQueryClient;
const requireFromTest = createRequire(__filename);
const { DurableClient } = requireFromTest("durable-functions/lib/src/durableClient/DurableClient") as { DurableClient: new (clientData: unknown) => RealClient };

const KNOWN = {
  name: "deployFlow",
  instanceId: "known",
  runtimeStatus: "Running",
  input: { n: 1 },
  customStatus: null,
  output: null,
  createdTime: "2026-01-01T00:00:00Z",
  lastUpdatedTime: "2026-01-01T00:00:30Z",
};

/** The extension's status route: known → 202 + JSON, gone → empty 404, a failure → 500 whose body happens to mention 404. */
let host: Server;
let real: RealClient;
beforeAll(async () => {
  host = createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? "").replace(/^\/durabletask\/instances\//, "").split("?")[0] ?? "");
    if (id === "known") {
      res.writeHead(202, { "content-type": "application/json" });
      res.end(JSON.stringify(KNOWN));
    } else if (id === "broken") {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ Message: "the storage account answered 404 for the instances table" }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
  const rpcBaseUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/durabletask/`;
  real = new DurableClient({ taskHubName: "hub", creationUrls: {}, managementUrls: { id: "INSTANCEID", statusQueryGetUri: "" }, baseUrl: "", requiredQueryStringParameters: "", rpcBaseUrl });
});
afterAll(() => new Promise<void>((r) => host.close(() => r())));

const NOT_FOUND_MESSAGE = (id: string) => `DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: ${id}.`;

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

/** A plain Error and nothing else: no status, code or response to tell a 404 by. */
function expectBareError(err: Error): void {
  expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
  expect(Object.keys(err)).toEqual([]);
}

describe("the real durable-functions client, for an unknown instance", () => {
  it("getStatus rejects with a bare Error: the 404 survives only in the message", async () => {
    const err = await rejection(real.getStatus("gone"));
    expectBareError(err);
    expect(err.message).toBe(NOT_FOUND_MESSAGE("gone"));
  });

  it("its status query (getStatusInternal, which getStatus switches on) resolves with the 404", async () => {
    expect(typeof real.getStatusInternal).toBe("function");
    expect((await real.getStatusInternal({ instanceId: "gone" })).status).toBe(404);
    expect((await real.getStatusInternal({ instanceId: "known" })).status).toBe(202);
  });

  it("waitForCompletionOrCreateCheckStatusResponse rejects with the same error (its first poll is getStatus)", async () => {
    const request = new HttpRequest({ url: "http://localhost:7071/api/x", method: "GET" });
    expect((await rejection(real.waitForCompletionOrCreateCheckStatusResponse(request, "gone", { timeoutInMilliseconds: 50, retryIntervalInMilliseconds: 10 }))).message).toBe(NOT_FOUND_MESSAGE("gone"));
  });
});

describe("getStatusOrUndefined", () => {
  it("with the real client: undefined for the extension's 404, the status when it exists", async () => {
    expect(await getStatusOrUndefined(real, "gone")).toBeUndefined();
    expect(await answersNotFound(real, "gone")).toBe(true);
    const status = await getStatusOrUndefined(real, "known");
    expect(status).toMatchObject({ instanceId: "known", runtimeStatus: "Running", input: { n: 1 } });
    expect(status?.createdTime).toBeInstanceOf(Date);
  });

  it("a failure whose text mentions 404 is still a failure (the old /\\b404\\b/ match took it for 'none')", async () => {
    const err = await rejection(getStatusOrUndefined(real, "broken"));
    expect(err.message).toMatch(/^The operation failed with an unexpected status code: 500\. Details: .*answered 404/);
    expect(await answersNotFound(real, "broken")).toBe(false);
  });

  it("a client that cannot be asked for the status gets no guess from the message: its error propagates", async () => {
    const double = { getStatus: () => Promise.reject(new Error(NOT_FOUND_MESSAGE("x"))) } as Pick<df.DurableClient, "getStatus">;
    await expect(getStatusOrUndefined(double, "x")).rejects.toThrow(NOT_FOUND_MESSAGE("x"));
    const unreachable = { getStatus: () => Promise.reject(new Error("connect ECONNREFUSED")), getStatusInternal: () => Promise.reject(new Error("connect ECONNREFUSED")) };
    await expect(getStatusOrUndefined(unreachable, "x")).rejects.toThrow("connect ECONNREFUSED");
  });
});

const functions = new FunctionRegistry()
  .orchestration(DEPLOY_FLOW, function* (ctx: df.OrchestrationContext) {
    return yield ctx.df.waitForExternalEvent("go");
  })
  .orchestration(RELEASE_ENDPOINT_LOCK, function* (ctx: df.OrchestrationContext) {
    return yield ctx.df.waitForExternalEvent("go");
  })
  .orchestration("quick", function* (ctx: df.OrchestrationContext) {
    yield ctx.df.createTimer(ctx.df.currentUtcDateTime);
    return ctx.df.getInput();
  });

describe("the local runner's client answers an unknown instance as the real one does", () => {
  it("getStatus rejects with the same bare Error, word for word", async () => {
    const { client } = harness(functions);
    const local = await rejection(client.getStatus("gone"));
    const remote = await rejection(real.getStatus("gone"));
    expectBareError(local);
    expect(local.message).toBe(remote.message);
  });

  it("its status query answers 404 for an unknown id, 202 while running, 200 when finished", async () => {
    const { client, runtime } = harness(functions);
    await client.startNew(DEPLOY_FLOW, { instanceId: "waiting" });
    await client.startNew("quick", { instanceId: "done", input: 7 });
    await runtime.runUntilIdle();
    expect(await client.getStatusInternal({ instanceId: "gone" })).toEqual({ status: 404, data: "", headers: {} });
    expect((await client.getStatusInternal({ instanceId: "waiting" })).status).toBe(202);
    expect(await client.getStatusInternal({ instanceId: "done" })).toMatchObject({ status: 200, data: { instanceId: "done", runtimeStatus: "Completed", output: 7 } });
    expect(await getStatusOrUndefined(client, "gone")).toBeUndefined();
    expect(await getStatusOrUndefined(client, "done")).toMatchObject({ instanceId: "done", runtimeStatus: "Completed" });
  });

  it("waitForCompletionOrCreateCheckStatusResponse rejects for an unknown id instead of answering 202", async () => {
    const { client } = harness(functions);
    const request = new HttpRequest({ url: "http://localhost:7071/api/x", method: "GET" });
    expect((await rejection(client.waitForCompletionOrCreateCheckStatusResponse(request, "gone", { timeoutInMilliseconds: 50 }))).message).toBe(NOT_FOUND_MESSAGE("gone"));
  });
});

/** The local client, with `startNew` replaced: `before` runs first (another caller winning the race), then the start fails with `message`. */
function failingStarts(client: LocalDurableClient, message: string, before: () => Promise<unknown> = async () => undefined): LocalDurableClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "startNew") {
        return async () => {
          await before();
          throw new Error(message);
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

describe("a failed start is judged by the task hub, not by the error's text", () => {
  const request = () => {
    const r = sampleRequest();
    r.requestId = "status-race";
    return DeployRequest.parse(r);
  };

  it("startOnce: an instance that exists after the failed start is the other delivery's, whatever the error says", async () => {
    const { client, runtime } = harness(functions);
    const id = instanceIdFor("status-race");
    const racing = failingStarts(client, "The operation failed with an unexpected status code: 500. Details: null", () => client.startNew(DEPLOY_FLOW, { instanceId: id, input: { request: request() } }));
    expect(await startOnce(racing, request(), "queue")).toEqual({ instanceId: id, started: false, existingStatus: "Pending" });
    expect(runtime.listInstances().map((r) => r.instanceId)).toEqual([id]);
  });

  it("startOnce: with no instance afterwards, the start's own error is thrown, even one that reads like the refusal", async () => {
    const { client } = harness(functions);
    const refusalText = "The operation failed with an unexpected status code: 500. Details: An Orchestration instance with the status Running already exists.";
    await expect(startOnce(failingStarts(client, refusalText), request(), "queue")).rejects.toThrow(refusalText);
  });

  it("release-lock: the other operator's start won when the instance is a releaseEndpointLock now; otherwise the error stands", async () => {
    const { client, runtime } = harness(functions);
    const deploy = request();
    const id = instanceIdFor(deploy.requestId);
    await client.startNew(DEPLOY_FLOW, { instanceId: id, input: { request: deploy } });
    await runtime.runUntilIdle();
    await client.terminate(id, "dead holder");
    const refusalText = "The operation failed with an unexpected status code: 500. Details: An Orchestration instance with the status Pending already exists.";
    await expect(recoverEndpointLock(failingStarts(client, refusalText), id)).rejects.toThrow(refusalText);
    const otherOperator = () => client.startNew(RELEASE_ENDPOINT_LOCK, { instanceId: id, input: {} });
    expect(await recoverEndpointLock(failingStarts(client, "socket hang up", otherOperator), id)).toEqual({ outcome: "releasing", instanceId: id, endpoint: deploy.endpoint.name });
  });
});
