import type * as df from "durable-functions";
import { afterEach, describe, expect, it } from "vitest";
import { runOperateCommand } from "../../src/cli/commands/operate";
import type { DeploymentNotification } from "../../src/contracts";
import { APPROVAL_EVENT, instanceIdFor } from "../../src/domain/ids";
import { serve, type RunningService } from "../../src/local/serve";
import { memoryIO, runCli } from "../support/cli";
import { sampleRequest } from "../support/samples";

/**
 * `flowdeploy cancel` and `flowdeploy release-lock` against `flowdeploy serve` (the same HTTP routes
 * as the Function App), with scaled time so a deployment can be caught mid-way.
 */
let service: RunningService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function stageOf(url: string, id: string): Promise<string | undefined> {
  const res = await fetch(`${url}/api/deployments/${id}`);
  if (res.status !== 200) return undefined;
  return ((await res.json()) as { customStatus?: { stage?: string } }).customStatus?.stage;
}

describe("flowdeploy cancel", () => {
  it("cancels a deployment mid-way: exit 0, then a Cancelled outcome with live traffic untouched", async () => {
    service = await serve({ port: 0, timeScale: 600, scenario: { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] } });
    const request = sampleRequest();
    request.requestId = "cli-cancel-1";
    const id = instanceIdFor(request.requestId);
    expect((await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) })).status).toBe(202);
    while ((await stageOf(service.url, id)) !== "deployment") await new Promise((r) => setTimeout(r, 20));

    const run = await runCli(["cancel", id, "--url", service.url, "--reason", "rolled back by on-call"]);
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining(`cancel requested for ${id}`) });
    const done = await service.stack.runtime.waitForCompletion(id, { timeoutMs: 30_000 });
    const n = JSON.parse(done.outputJson!) as DeploymentNotification;
    expect(n).toMatchObject({ outcome: "Cancelled", error: { code: "Cancelled", message: "rolled back by on-call" }, traffic: { blue: 100 } });

    // Finished: a second cancel is refused with the route's reason and exit 1.
    const again = await runCli(["cancel", id, "--url", service.url]);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 409: deployment " + id + " is Completed: nothing to cancel") });
  });

  it("release-lock on a running deployment is refused (exit 1, the reason printed); on an unknown id 404", async () => {
    service = await serve({ port: 0, timeScale: 60 });
    const request = sampleRequest();
    request.requestId = "cli-lock-1";
    const id = instanceIdFor(request.requestId);
    await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
    const refused = await runCli(["release-lock", id, "--url", service.url]);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining("is Running: it still holds its lock") });
    expect(await runCli(["release-lock", "deploy-0000", "--url", service.url])).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 404") });
  });
});

describe("flowdeploy approve and reject", () => {
  /** A stand-in for deployFlow at its approval stage: custom status stage "approval", then the approval event, which it returns. */
  async function waitingForApproval(svc: RunningService, instanceId: string): Promise<void> {
    if (!svc.stack.app.functions.orchestrations.has("cliApprovalProbe")) {
      svc.stack.app.functions.orchestration("cliApprovalProbe", function* (ctx: df.OrchestrationContext) {
        ctx.df.setCustomStatus({ stage: "approval" });
        const decision: unknown = yield ctx.df.waitForExternalEvent(APPROVAL_EVENT);
        return decision;
      });
    }
    await svc.stack.client.startNew("cliApprovalProbe", { instanceId });
    while ((await stageOf(svc.url, instanceId)) !== "approval") await new Promise((r) => setTimeout(r, 10));
  }

  it("approve: exit 0 naming who approved, and the waiting run receives the decision; again: exit 1 with the route's 409", async () => {
    service = await serve({ port: 0 });
    await waitingForApproval(service, "cli-approve-1");
    const run = await runCli(["approve", "cli-approve-1", "--url", service.url, "--reason", "metrics reviewed"]);
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining("approved cli-approve-1 as function key") });
    const done = await service.stack.runtime.waitForCompletion("cli-approve-1", { timeoutMs: 10_000 });
    expect(JSON.parse(done.outputJson!)).toMatchObject({ decision: "approved", reason: "metrics reviewed", by: "function key" });
    const again = await runCli(["approve", "cli-approve-1", "--url", service.url, "--json"]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({ status: 409, body: { errors: ["deployment cli-approve-1 is Completed: it is not waiting for approval"] } });
  });

  it("reject: --reason is required (exit 2, nothing sent); with it, exit 0 and the run receives the rejection", async () => {
    service = await serve({ port: 0 });
    await waitingForApproval(service, "cli-reject-1");
    const missing = await runCli(["reject", "cli-reject-1", "--url", service.url]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining("--reason") });
    expect(await runCli(["approve", "cli-reject-1", "--url", service.url, "--reason", ""])).toMatchObject({ code: 2, stderr: expect.stringContaining("--reason must be 1 to 500 characters") });
    expect(await stageOf(service.url, "cli-reject-1")).toBe("approval");
    const run = await runCli(["reject", "cli-reject-1", "--url", service.url, "--reason", "wrong eval set"]);
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining("rejected cli-reject-1 as function key: the deployment ends Failed (ApprovalRejected)") });
    const done = await service.stack.runtime.waitForCompletion("cli-reject-1", { timeoutMs: 10_000 });
    expect(JSON.parse(done.outputJson!)).toMatchObject({ decision: "rejected", reason: "wrong eval set" });
    expect(await runCli(["reject", "deploy-0000", "--url", service.url, "--reason", "x"])).toMatchObject({ code: 1, stderr: expect.stringContaining("HTTP 404") });
  });

  it("sends FLOWDEPLOY_ACCESS_TOKEN as a bearer token beside the function key (what App Service authentication names the approver by), and prints neither", async () => {
    const seen: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
    const fakeFetch = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), headers: init.headers as Record<string, string>, body: String(init.body) });
      return new Response(JSON.stringify({ errors: ["mallory@contoso.com is not an approver of this app (FLOWDEPLOY_APPROVERS)"] }), { status: 403 });
    }) as unknown as typeof fetch;
    const { io: streams, text } = memoryIO();
    const env = { FLOWDEPLOY_URL: "https://app.example.net", FLOWDEPLOY_FUNCTION_KEY: "s3cr3t-key-value", FLOWDEPLOY_ACCESS_TOKEN: "eyJ0eXAiOiJKV1Qi.token.value" };
    expect(await runOperateCommand("reject", "deploy-abc", { reason: "no" }, streams, env, fakeFetch)).toBe(1);
    expect(seen).toEqual([
      { url: "https://app.example.net/api/deployments/deploy-abc/reject", headers: expect.objectContaining({ "x-functions-key": "s3cr3t-key-value", authorization: "Bearer eyJ0eXAiOiJKV1Qi.token.value" }), body: '{"reason":"no"}' },
    ]);
    expect(text().stderr).toContain("flowdeploy reject: HTTP 403: mallory@contoso.com is not an approver of this app");
    expect(JSON.stringify(text())).not.toMatch(/s3cr3t-key-value|token\.value/);
    // cancel does not carry it.
    seen.length = 0;
    await runOperateCommand("cancel", "deploy-abc", {}, memoryIO().io, env, fakeFetch);
    expect(seen[0]!.headers).not.toHaveProperty("authorization");
  });
});

describe("operator commands' HTTP use", () => {

  it("sends the function key from FLOWDEPLOY_FUNCTION_KEY as x-functions-key, to FLOWDEPLOY_URL, and never prints it", async () => {
    const seen: Array<{ url: string; headers: Record<string, string>; body: string; redirect: RequestInit["redirect"] }> = [];
    const fakeFetch = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), headers: init.headers as Record<string, string>, body: String(init.body), redirect: init.redirect });
      return new Response(JSON.stringify({ errors: ["unauthorized-looking answer"] }), { status: 401 });
    }) as unknown as typeof fetch;
    const { io: streams, text } = memoryIO();
    const code = await runOperateCommand("cancel", "deploy-abc", { reason: "why", json: false }, streams, { FLOWDEPLOY_URL: "https://app.example.net/", FLOWDEPLOY_FUNCTION_KEY: "s3cr3t-key-value" }, fakeFetch);
    expect(code).toBe(1);
    expect(seen).toEqual([{ url: "https://app.example.net/api/deployments/deploy-abc/cancel", headers: expect.objectContaining({ "x-functions-key": "s3cr3t-key-value" }), body: '{"reason":"why"}', redirect: "error" }]);
    expect(JSON.stringify(text())).not.toContain("s3cr3t-key-value");
    expect(text().stderr).toContain("HTTP 401");
  });

  it("refuses a malformed instance id or URL before sending anything", async () => {
    expect(await runCli(["cancel", "../etc"])).toMatchObject({ code: 2, stderr: expect.stringContaining("<instanceId> must be an instance id") });
    expect(await runCli(["release-lock", "deploy-1", "--url", "ftp://x"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--url must be http(s)") });
    // The key never travels in the clear: plain http only to this machine.
    expect(await runCli(["cancel", "deploy-1", "--url", "http://deployer.example.net"])).toMatchObject({ code: 2, stderr: expect.stringContaining("must be https for a remote app") });
  });
});
