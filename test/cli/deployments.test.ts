import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runListCommand, runStatusCommand } from "../../src/cli/commands/deployments";
import { instanceIdFor } from "../../src/domain/ids";
import { serve, type RunningService } from "../../src/local/serve";
import { memoryIO, runBin, runCli } from "../support/cli";
import { repoRoot, sampleRequest } from "../support/samples";

/**
 * `flowdeploy status` and `flowdeploy list` against `flowdeploy serve` (the Function App's routes on
 * one machine), and their HTTP use (key, URL, redirects) against a stand-in fetch.
 */
let service: RunningService;
const ok = { requestId: "cli-find-ok", id: instanceIdFor("cli-find-ok") };
const failed = { requestId: "cli-find-failed", id: instanceIdFor("cli-find-failed") };

beforeAll(async () => {
  service = await serve({ port: 0, timeScale: 600, scenario: { faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure", endpoint: "cli-fail" }] } });
  for (const [d, endpoint] of [[ok, "cli-ok"], [failed, "cli-fail"]] as const) {
    const request = sampleRequest();
    request.requestId = d.requestId;
    request.endpoint.name = endpoint;
    const res = await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 30));
  }
});
afterAll(async () => service.close());

describe("flowdeploy status", () => {
  it("finds a deployment by its request id while it runs (exit 0), and after it Succeeded (exit 0) with its stages", async () => {
    const running = await runCli(["status", ok.requestId, "--url", service.url]);
    expect(running, running.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^${ok.id}  Running  cli-ok/green  request=${ok.requestId}\\n`)) });
    await service.stack.runtime.waitForCompletion(ok.id, { timeoutMs: 30_000 });
    const done = await runCli(["status", ok.requestId, "--url", service.url]);
    expect(done, done.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(done.stdout).toContain(`${ok.id}  Succeeded  cli-ok/green  request=${ok.requestId}`);
    expect(done.stdout).toMatch(/\n {2}traffic +Succeeded /);
    expect(done.stdout).toContain("scoring URI: https://127.0.0.1:");
    // By instance id too, the same answer.
    expect((await runCli(["status", ok.id, "--url", service.url])).stdout).toBe(done.stdout);
  });

  it("exits 1 for a Failed deployment, printing its error; --json prints the HTTP status and the route's answer", async () => {
    await service.stack.runtime.waitForCompletion(failed.id, { timeoutMs: 30_000 });
    const run = await runCli(["status", failed.requestId, "--url", service.url]);
    expect(run).toMatchObject({ code: 1, stdout: expect.stringContaining(`${failed.id}  Failed  cli-fail/green`) });
    expect(run.stdout).toMatch(/error: deployment \S+: /);
    const json = await runCli(["status", failed.requestId, "--url", service.url, "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 200, body: { instanceId: failed.id, requestId: failed.requestId, outcome: "Failed" } });
    for (const s of service.stack.sim.secrets()) expect(json.stdout).not.toContain(s);
  });

  it("exits 1 naming what it looked for when nothing matches; 2 for a malformed id", async () => {
    expect(await runCli(["status", "never-sent", "--url", service.url])).toMatchObject({ code: 1, stderr: 'flowdeploy status: HTTP 404: no deployment for request id "never-sent"\n' });
    const looksLikeAnInstance = `deploy-${"0".repeat(32)}`;
    expect(await runCli(["status", looksLikeAnInstance, "--url", service.url])).toMatchObject({ code: 1, stderr: expect.stringContaining(`no deployment has the instance id or request id '${looksLikeAnInstance}'`) });
    expect(await runCli(["status", "bad\u0001id"])).toMatchObject({ code: 2, stderr: expect.stringContaining("<requestId|instanceId> must be") });
  });
});

describe("flowdeploy list", () => {
  it("prints deployments newest first, filters, pages with the printed --continuation-token", async () => {
    await service.stack.runtime.waitForCompletion(ok.id, { timeoutMs: 30_000 });
    await service.stack.runtime.waitForCompletion(failed.id, { timeoutMs: 30_000 });
    const all = await runCli(["list", "--url", service.url]);
    expect(all, all.stderr).toMatchObject({ code: 0, stderr: "" });
    const lines = all.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^CREATED +OUTCOME +ENDPOINT\/DEPLOYMENT +REQUEST +INSTANCE$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[4])).toEqual([failed.id, ok.id]);
    expect(lines[1]).toMatch(new RegExp(`Failed +cli-fail/green +${failed.requestId}`));

    const onlyFailed = await runCli(["list", "--url", service.url, "--outcome", "Failed", "--endpoint", "cli-fail"]);
    expect(onlyFailed.stdout.trim().split("\n").slice(1).map((l) => l.split(/ +/)[4])).toEqual([failed.id]);

    const first = await runCli(["list", "--url", service.url, "--top", "1"]);
    const more = /^more: flowdeploy list --top 1 --continuation-token (\S+)$/m.exec(first.stdout);
    expect(more, first.stdout).not.toBeNull();
    const second = await runCli(["list", "--url", service.url, "--top", "1", "--continuation-token", more![1]!]);
    expect(second.stdout).toContain(ok.id);
    expect(second.stdout).not.toContain("more:");

    const json = await runCli(["list", "--url", service.url, "--json", "--outcome", "succeeded"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 200, body: { deployments: [{ instanceId: ok.id, outcome: "Succeeded", statusQueryGetUri: `${service.url}/api/deployments/${ok.id}` }], continuationToken: null } });
    expect((await runCli(["list", "--url", service.url, "--outcome", "Terminated"])).stdout).toBe("no deployments\n");
  });

  it("refuses bad flags before sending anything (exit 2)", async () => {
    expect(await runCli(["list", "--outcome", "Done"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--outcome: expected Running, Succeeded, Failed, Cancelled, Terminated") });
    expect(await runCli(["list", "--top", "500"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--top: expected a whole number from 1 to 100") });
    expect(await runCli(["list", "--continuation-token", "x!"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--continuation-token: not a token") });
  });
});

describe("their HTTP use", () => {
  function recordingFetch(status = 200, body: unknown = { deployments: [], continuationToken: null, nextPageUri: null }) {
    const seen: Array<{ url: string; headers: Record<string, string>; redirect: RequestInit["redirect"] }> = [];
    const fetchFn = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), headers: init.headers as Record<string, string>, redirect: init.redirect });
      return new Response(JSON.stringify(body), { status });
    }) as unknown as typeof fetch;
    return { seen, fetchFn };
  }

  it("sends the key from --function-key (before FLOWDEPLOY_FUNCTION_KEY) as x-functions-key to FLOWDEPLOY_URL, follows no redirect, never prints it", async () => {
    const env = { FLOWDEPLOY_URL: "https://app.example.net", FLOWDEPLOY_FUNCTION_KEY: "env-key-value" };
    const { seen, fetchFn } = recordingFetch();
    const { io, text } = memoryIO();
    expect(await runListCommand({ functionKey: "flag-key-value", outcome: "Failed", json: true }, io, env, fetchFn)).toBe(0);
    expect(await runListCommand({}, io, env, fetchFn)).toBe(0);
    expect(seen).toEqual([
      { url: "https://app.example.net/api/deployments?outcome=Failed", headers: expect.objectContaining({ "x-functions-key": "flag-key-value" }), redirect: "error" },
      { url: "https://app.example.net/api/deployments", headers: expect.objectContaining({ "x-functions-key": "env-key-value" }), redirect: "error" },
    ]);
    expect(JSON.stringify(text())).not.toMatch(/flag-key-value|env-key-value/);
  });

  it("status asks by request id (URL-encoded), and says what a 401 means without printing the key", async () => {
    const { seen, fetchFn } = recordingFetch(401, {});
    const { io, text } = memoryIO();
    expect(await runStatusCommand("bulktest-ab12-run:1@x", { url: "https://app.example.net/", functionKey: "k-123" }, io, {}, fetchFn)).toBe(1);
    expect(seen.map((s) => s.url)).toEqual(["https://app.example.net/api/deployments?requestId=bulktest-ab12-run%3A1%40x"]);
    expect(text().stderr).toContain("HTTP 401: unauthorized: set FLOWDEPLOY_FUNCTION_KEY (or --function-key)");
    expect(JSON.stringify(text())).not.toContain("k-123");
  });

  it("keeps the key off the network in the clear and refuses an empty one (exit 2)", async () => {
    expect(await runCli(["status", "r1", "--url", "http://deployer.example.net"])).toMatchObject({ code: 2, stderr: expect.stringContaining("must be https for a remote app") });
    expect(await runCli(["list", "--function-key", " "])).toMatchObject({ code: 2, stderr: expect.stringContaining("--function-key must not be empty") });
  });
});

describe("flowdeploy --version", () => {
  it("prints the package version, exit 0 (in process and through bin/flowdeploy.cjs)", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(await runCli(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
    expect(await runBin(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });
});
