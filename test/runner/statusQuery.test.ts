import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import * as df from "durable-functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FunctionRegistry } from "../../src/local/runner";
import { harness, T0 } from "./support/harness";

/**
 * `getStatusBy` of the local client against the real one. The real durable-functions 3.5 client is
 * driven here against a stand-in for the extension's list API (HttpApiHandler: pages of at most
 * `top` instances, `x-ms-continuation-token` while more remain, times as `ToString("s") + "Z"`), so
 * what the local client copies — every page at once, the parsed JSON with string times, inclusive
 * bounds sent as ISO strings, no showInput, TypeError for a bound that is not a Date — is checked on
 * the library itself, not only asserted in a comment.
 */
type RealClient = Pick<df.DurableClient, "getStatusBy" | "getStatusAll">;
const requireFromTest = createRequire(__filename);
const { DurableClient } = requireFromTest("durable-functions/lib/src/durableClient/DurableClient") as { DurableClient: new (clientData: unknown) => RealClient };

const HOST_INSTANCES = Array.from({ length: 5 }, (_, i) => ({
  name: "deployFlow",
  instanceId: `deploy-${i}`,
  runtimeStatus: i % 2 === 0 ? "Completed" : "Running",
  input: { n: i },
  customStatus: null,
  output: null,
  createdTime: `2026-01-01T00:0${i}:00Z`,
  lastUpdatedTime: `2026-01-01T00:0${i}:30Z`,
}));

let host: Server;
const seen: Array<{ url: string; token: string | undefined }> = [];
let real: RealClient;
beforeAll(async () => {
  host = createServer((req, res) => {
    const token = req.headers["x-ms-continuation-token"] as string | undefined;
    seen.push({ url: req.url ?? "", token });
    const start = token ? Number(token) : 0;
    const page = HOST_INSTANCES.slice(start, start + 2);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (start + 2 < HOST_INSTANCES.length) headers["x-ms-continuation-token"] = String(start + 2);
    res.writeHead(200, headers);
    res.end(JSON.stringify(page));
  });
  await new Promise<void>((r) => host.listen(0, "127.0.0.1", r));
  const rpcBaseUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/durabletask/`;
  real = new DurableClient({ taskHubName: "hub", creationUrls: {}, managementUrls: { id: "INSTANCEID", statusQueryGetUri: "" }, baseUrl: "", requiredQueryStringParameters: "", rpcBaseUrl });
});
afterAll(() => new Promise<void>((r) => host.close(() => r())));

const functions = new FunctionRegistry()
  .orchestration("waits", function* (ctx: df.OrchestrationContext) {
    return yield ctx.df.waitForExternalEvent("go");
  })
  .orchestration("quick", function* (ctx: df.OrchestrationContext) {
    yield ctx.df.createTimer(ctx.df.currentUtcDateTime);
    return ctx.df.getInput();
  });

describe("the real durable-functions client's getStatusBy", () => {
  it("follows every continuation token and resolves with the pages concatenated, as parsed JSON (times stay strings)", async () => {
    seen.length = 0;
    const all = await real.getStatusBy({ createdTimeTo: new Date("2026-01-01T00:03:00.999Z"), runtimeStatus: [df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending] });
    expect(all.map((s) => s.instanceId)).toEqual(HOST_INSTANCES.map((i) => i.instanceId));
    expect(typeof all[0]!.createdTime).toBe("string");
    expect(all[0]).toEqual(HOST_INSTANCES[0]);
    // The query as the host receives it: ISO bounds, a comma list, no showInput (the host's default, true, applies).
    expect(seen.map((s) => s.token)).toEqual([undefined, "2", "4"]);
    expect(seen[0]!.url).toBe("/durabletask/instances/?createdTimeTo=2026-01-01T00:03:00.999Z&runtimeStatus=Running,Pending");
    expect(seen.every((s) => !s.url.includes("showInput"))).toBe(true);
  });

  it("throws a TypeError for a bound that is not a Date", async () => {
    await expect(real.getStatusBy({ createdTimeFrom: "2026-01-01" as unknown as Date })).rejects.toThrow(TypeError);
  });
});

describe("the local client's getStatusBy answers the same way", () => {
  async function threeInstances() {
    const h = harness(functions);
    await h.client.startNew("waits", { instanceId: "c-late", input: { secretless: true } });
    h.clock.advanceBy(61_500);
    await h.client.startNew("quick", { instanceId: "a-middle", input: 1 });
    h.clock.advanceBy(60_000);
    await h.client.startNew("waits", { instanceId: "b-last" });
    await h.runtime.runUntilIdle();
    return h;
  }

  it("resolves with the host's JSON: whole-second time strings, input included, no history, in instance id order", async () => {
    const { client } = await threeInstances();
    const all = await client.getStatusBy({});
    expect(all.map((s) => s.instanceId)).toEqual(["a-middle", "b-last", "c-late"]);
    expect(Object.keys(all[0]!).sort()).toEqual(Object.keys(HOST_INSTANCES[0]!).sort());
    expect(all.find((s) => s.instanceId === "c-late")).toMatchObject({ createdTime: "2026-01-01T00:00:00Z", input: { secretless: true }, runtimeStatus: "Running" });
    expect(all.find((s) => s.instanceId === "a-middle")).toMatchObject({ createdTime: "2026-01-01T00:01:01Z", runtimeStatus: "Completed", output: 1 });
    for (const s of all) expect(s.lastUpdatedTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await client.getStatusAll()).toEqual(all);
  });

  it("bounds creation time inclusively at the exact time (the wire shows whole seconds), filters by any listed status", async () => {
    const { client } = await threeInstances();
    const ids = async (filter: df.OrchestrationFilter) => (await client.getStatusBy(filter)).map((s) => s.instanceId);
    const middle = new Date(new Date(T0).getTime() + 61_500);
    expect(await ids({ createdTimeFrom: middle, createdTimeTo: middle })).toEqual(["a-middle"]);
    // 00:01:01.000 is before the exact creation time 00:01:01.500, although the wire shows 00:01:01.
    expect(await ids({ createdTimeTo: new Date(middle.getTime() - 500) })).toEqual(["c-late"]);
    expect(await ids({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running] })).toEqual(["b-last", "c-late"]);
    expect(await ids({ runtimeStatus: [] })).toEqual(["a-middle", "b-last", "c-late"]);
    await expect(client.getStatusBy({ createdTimeFrom: "2026-01-01" as unknown as Date })).rejects.toThrow(TypeError);
  });
});
