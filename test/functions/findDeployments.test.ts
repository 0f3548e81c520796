import { HttpRequest, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instanceIdFor } from "../../src/domain/ids";
import { listDeployments, nextPageUri, parseDeploymentQuery, type DeploymentSummary, type ListCursor } from "../../src/intake/deploymentQueries";
import { FunctionRegistry } from "../../src/local/runner";
import { serve, type RunningService } from "../../src/local/serve";
import { harness, T0 } from "../runner/support/harness";
import { sampleRequest } from "../support/samples";

/**
 * Finding a deployment by its request id and listing deployments, through the routes `flowdeploy
 * serve` wires (the same handlers the Function App registers), over real HTTP; and the 202's
 * Location, fetched as a caller would.
 */
let service: RunningService;
beforeAll(async () => {
  service = await serve({
    port: 0,
    timeScale: 600,
    scenario: { faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure", endpoint: "ep-fail" }] },
  });
});
afterAll(async () => service.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(requestId: string, endpoint: string): Promise<Response> {
  const request = sampleRequest();
  request.requestId = requestId;
  request.endpoint.name = endpoint;
  return fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
}

async function get(path: string): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(path.startsWith("http") ? path : `${service.url}${path}`);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

function expectNoSecrets(text: string): void {
  for (const s of service.stack.sim.secrets()) expect(text).not.toContain(s);
  expect(text).not.toMatch(/code=|webhooks\/durabletask|systemKey/i);
}

describe("the 202 answer", () => {
  it("points Location and statusQueryGetUri at the status route as the caller reached it (port included), and both answer", async () => {
    const res = await start("find-location-1", "ep-location");
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; statusQueryGetUri: string; cancelPostUri: string };
    const location = res.headers.get("location")!;
    expect(location).toBe(`${service.url}/api/deployments/${instanceIdFor("find-location-1")}`);
    expect(body.statusQueryGetUri).toBe(location);
    const status = await get(location);
    expect(status).toMatchObject({ status: 200, body: { instanceId: body.id, requestId: "find-location-1", outcome: "Running" } });
    // The cancel URL is a route too (202 while it runs; never 404).
    const cancel = await fetch(body.cancelPostUri, { method: "POST" });
    expect(cancel.status).toBe(202);
    await service.stack.runtime.waitForCompletion(body.id, { timeoutMs: 30_000 });
    expect((await get(location)).body).toMatchObject({ outcome: "Cancelled", runtimeStatus: "Completed" });
  });

  it("on a Function App: the URL the host hands the function (https, its host name), never the function key in it", async () => {
    const request = sampleRequest();
    request.requestId = "find-location-2";
    request.endpoint.name = "ep-location-two";
    const http = new HttpRequest({ url: "https://flowdeploy-prod.azurewebsites.net/api/deployments?code=the-function-key", method: "POST", body: { string: JSON.stringify(request) }, headers: { "content-type": "application/json" } });
    const res = await service.stack.app.handlers.startDeploymentHttp(http, service.stack.client, new InvocationContext({ functionName: "startDeploymentHttp", logHandler: () => undefined }));
    const id = instanceIdFor("find-location-2");
    expect(new Headers(res.headers as Record<string, string>).get("location")).toBe(`https://flowdeploy-prod.azurewebsites.net/api/deployments/${id}`);
    expect(JSON.stringify(res)).not.toContain("the-function-key");
    await service.stack.runtime.waitForCompletion(id, { timeoutMs: 30_000 });
  });
});

describe("GET /api/deployments", () => {
  const ids = { a: instanceIdFor("find-a"), b: instanceIdFor("find-b"), fail: instanceIdFor("find-fail"), late: instanceIdFor("find-late") };
  const mine = (list: DeploymentSummary[]) => list.filter((d) => Object.values(ids).includes(d.instanceId));

  beforeAll(async () => {
    // Distinct creation seconds (600x: 30 ms of wall time is 18 s).
    for (const [requestId, endpoint] of [["find-a", "ep-a"], ["find-b", "ep-b"], ["find-fail", "ep-fail"]] as const) {
      expect((await start(requestId, endpoint)).status).toBe(202);
      await sleep(30);
    }
  });

  it("while they run: outcome Running, with the stage they are in (null before the first)", async () => {
    const running = await get("/api/deployments?outcome=Running&top=100");
    expect(running.status).toBe(200);
    expect(mine(running.body.deployments).map((d) => d.instanceId)).toEqual([ids.fail, ids.b, ids.a]);
    for (const d of mine(running.body.deployments)) {
      expect(d).toMatchObject({ outcome: "Running", runtimeStatus: expect.stringMatching(/Running|Pending/) });
      expect(d.stage === null || ["queued", "endpoint", "roles", "model", "deployment", "propagation"].includes(d.stage)).toBe(true);
    }
    for (const id of [ids.a, ids.b, ids.fail]) await service.stack.runtime.waitForCompletion(id, { timeoutMs: 30_000 });
  });

  it("lists newest first with each outcome, endpoint and status URL; filters by outcome and endpoint (ignoring case)", async () => {
    const all = await get("/api/deployments?top=100");
    expect(all.status).toBe(200);
    expect(mine(all.body.deployments)).toEqual([
      expect.objectContaining({ instanceId: ids.fail, requestId: "find-fail", outcome: "Failed", runtimeStatus: "Completed", endpoint: "ep-fail", workspace: "ws-promptflow" }),
      expect.objectContaining({ instanceId: ids.b, requestId: "find-b", outcome: "Succeeded", endpoint: "ep-b", deployment: "green", stage: "done" }),
      expect.objectContaining({ instanceId: ids.a, requestId: "find-a", outcome: "Succeeded", endpoint: "ep-a" }),
    ]);
    const times = (all.body.deployments as DeploymentSummary[]).map((d) => Date.parse(d.createdTime));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    for (const d of all.body.deployments as Array<DeploymentSummary & { statusQueryGetUri: string }>) expect(d.statusQueryGetUri).toBe(`${service.url}/api/deployments/${d.instanceId}`);
    expect(all.body).toMatchObject({ continuationToken: null, nextPageUri: null });
    expectNoSecrets(all.text);

    expect(mine((await get("/api/deployments?outcome=Failed")).body.deployments).map((d) => d.instanceId)).toEqual([ids.fail]);
    expect(mine((await get("/api/deployments?outcome=succeeded")).body.deployments).map((d) => d.instanceId)).toEqual([ids.b, ids.a]);
    expect(mine((await get("/api/deployments?outcome=Failed,Succeeded&endpoint=EP-A")).body.deployments).map((d) => d.instanceId)).toEqual([ids.a]);
    expect((await get("/api/deployments?outcome=Terminated")).body.deployments).toEqual([]);
  });

  it("pages with top and continuationToken (or nextPageUri), stable while new deployments start, never echoing the key", async () => {
    const first = await get("/api/deployments?endpoint=ep-a&top=1&code=the-function-key");
    expect(first.body.deployments.map((d: DeploymentSummary) => d.instanceId)).toEqual([ids.a]);
    expect(first.body).toMatchObject({ continuationToken: null, nextPageUri: null });

    const filtered = await get("/api/deployments?outcome=Succeeded,Failed&top=1&code=the-function-key");
    expect(filtered.body.nextPageUri).toMatch(new RegExp(`^${service.url}/api/deployments\\?outcome=Succeeded%2CFailed&top=1&continuationToken=[A-Za-z0-9_-]+$`));
    expect(filtered.text).not.toContain("the-function-key");

    const seen: string[] = [];
    let page = await get("/api/deployments?top=2&code=the-function-key");
    seen.push(...page.body.deployments.map((d: DeploymentSummary) => d.instanceId));
    expect(page.body.nextPageUri).toMatch(new RegExp(`^${service.url}/api/deployments\\?top=2&continuationToken=[A-Za-z0-9_-]+$`));
    // A new deployment starts between two pages: it belongs to the first page, the next ones do not
    // move (an offset would now repeat the last deployment of the first page).
    expect((await start("find-late", "ep-late")).status).toBe(202);
    while (page.body.nextPageUri) {
      const byToken = await get(`/api/deployments?top=2&continuationToken=${page.body.continuationToken}`);
      page = await get(page.body.nextPageUri);
      expect(byToken.body).toEqual(page.body);
      seen.push(...page.body.deployments.map((d: DeploymentSummary) => d.instanceId));
    }
    const everything = (await get("/api/deployments?top=100")).body.deployments.map((d: DeploymentSummary) => d.instanceId);
    expect(everything[0]).toBe(ids.late);
    expect(seen).toEqual(everything.slice(1));
    expect(seen.length).toBeGreaterThanOrEqual(5);
    await service.stack.runtime.waitForCompletion(ids.late, { timeoutMs: 30_000 });
  });

  it("?requestId= answers as the status route does, with the status URL; 404 for a request that started nothing", async () => {
    const found = await get("/api/deployments?requestId=find-fail&code=the-function-key");
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      instanceId: ids.fail,
      requestId: "find-fail",
      outcome: "Failed",
      runtimeStatus: "Completed",
      output: { outcome: "Failed", error: { stage: "deployment" } },
      statusQueryGetUri: `${service.url}/api/deployments/${ids.fail}`,
    });
    expectNoSecrets(found.text);
    const direct = await get(found.body.statusQueryGetUri);
    expect(direct.status).toBe(200);
    const { statusQueryGetUri: _uri, ...sameAsStatusRoute } = found.body;
    expect(direct.body).toEqual(sameAsStatusRoute);

    const missing = await get("/api/deployments?requestId=never-sent");
    expect(missing).toMatchObject({ status: 404, body: { errors: ['no deployment for request id "never-sent"'] } });
  });

  it("answers 400 naming each bad parameter", async () => {
    const bad = async (query: string) => {
      const res = await get(`/api/deployments?${query}`);
      expect(res.status, query).toBe(400);
      return res.body.errors as string[];
    };
    expect(await bad("requestId=find-a&top=5")).toEqual(["requestId: names one deployment; it cannot be combined with top"]);
    expect(await bad("top=0")).toEqual(["top: expected a whole number from 1 to 100"]);
    expect(await bad("top=101&outcome=Done")).toEqual([expect.stringContaining("outcome: expected Running, Succeeded, Failed, Cancelled, Terminated"), "top: expected a whole number from 1 to 100"]);
    expect(await bad("outcom=Failed")).toEqual([expect.stringMatching(/^outcom: unknown parameter/)]);
    expect(await bad("continuationToken=not-a-token")).toEqual([expect.stringMatching(/^continuationToken: not a token this route handed out/)]);
    expect(await bad("endpoint=../x")).toEqual([expect.stringMatching(/^endpoint: expected an endpoint name/)]);
    expect(await bad("requestId=")).toEqual([expect.stringMatching(/^requestId: expected the request id/)]);
  });
});

describe("paging over the host's whole-second times", () => {
  /** Instances named deployFlow on a virtual clock, so creation times can share a wire second. */
  const functions = new FunctionRegistry().orchestration("deployFlow", function* (ctx: df.OrchestrationContext) {
    return yield ctx.df.waitForExternalEvent("never");
  });

  it("returns every deployment once when several were created within one second (the cursor covers the truncated part)", async () => {
    const h = harness(functions);
    const startAt = async (offsetMs: number, requestId: string) => {
      h.clock.advanceTo(new Date(new Date(T0).getTime() + offsetMs));
      await h.client.startNew("deployFlow", { instanceId: instanceIdFor(requestId), input: { request: { requestId, endpoint: { name: "ep" }, workspace: { name: "ws" }, deployment: { name: "blue" } } } });
    };
    await startAt(200, "r1");
    await startAt(700, "r2");
    await startAt(900, "r3");
    await startAt(1500, "r4");
    await h.runtime.runUntilIdle();
    const pages: string[][] = [];
    let after: ListCursor | undefined;
    do {
      const page = await listDeployments(h.client, { top: 1, after });
      pages.push(page.items.map((d) => d.requestId!));
      after = page.next ?? undefined;
    } while (after);
    const sameSecond = ["r1", "r2", "r3"].map((r) => ({ r, id: instanceIdFor(r) })).sort((x, y) => (x.id < y.id ? -1 : 1)).map((x) => x.r);
    expect(pages).toEqual([["r4"], ...sameSecond.map((r) => [r])]);
  });
});

describe("the workspace filter (the status page's third filter)", () => {
  const functions = new FunctionRegistry().orchestration("deployFlow", function* (ctx: df.OrchestrationContext) {
    return yield ctx.df.waitForExternalEvent("never");
  });

  it("keeps the deployments of the request's workspace, by name and ignoring case, alongside the other filters and across pages", async () => {
    const h = harness(functions);
    const startIn = async (requestId: string, workspace: string, endpoint: string) => {
      h.clock.advanceBy(5_000);
      await h.client.startNew("deployFlow", { instanceId: instanceIdFor(requestId), input: { request: { requestId, endpoint: { name: endpoint }, workspace: { name: workspace }, deployment: { name: "blue" } } } });
    };
    await startIn("w1", "ws-east", "ep-1");
    await startIn("w2", "ws-west", "ep-1");
    await startIn("w3", "WS-East", "ep-2");
    await h.runtime.runUntilIdle();
    const ids = async (query: Partial<Parameters<typeof listDeployments>[1]>) => (await listDeployments(h.client, { top: 10, ...query })).items.map((d) => d.requestId);
    expect(await ids({ workspace: "ws-east" })).toEqual(["w3", "w1"]);
    expect(await ids({ workspace: "ws-east", endpoint: "ep-1" })).toEqual(["w1"]);
    expect(await ids({ workspace: "ws-north" })).toEqual([]);
    const first = await listDeployments(h.client, { top: 1, workspace: "WS-EAST" });
    expect(first.items.map((d) => d.requestId)).toEqual(["w3"]);
    expect(new URL(nextPageUri("https://app.example/api/deployments", { top: 1, workspace: "WS-EAST" }, first.next!)).searchParams.get("workspace")).toBe("WS-EAST");
    expect((await listDeployments(h.client, { top: 1, workspace: "WS-EAST", after: first.next! })).items.map((d) => d.requestId)).toEqual(["w1"]);
  });

  it("is checked as a workspace name: the rule of a request's workspace.name", () => {
    const parse = (query: string) => parseDeploymentQuery(new URLSearchParams(query));
    expect(parse("workspace=ws-promptflow&outcome=Failed")).toMatchObject({ ok: true, value: { kind: "list", workspace: "ws-promptflow", outcomes: ["Failed"] } });
    expect(parse("workspace=ws")).toEqual({ ok: false, errors: [expect.stringMatching(/^workspace: expected a workspace name/)] });
    expect(parse("workspace=../x")).toEqual({ ok: false, errors: [expect.stringMatching(/^workspace: expected a workspace name/)] });
    expect(parse("requestId=r&workspace=ws-a")).toEqual({ ok: false, errors: ["requestId: names one deployment; it cannot be combined with workspace"] });
  });
});
