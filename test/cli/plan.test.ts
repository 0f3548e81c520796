import { HttpRequest, InvocationContext } from "@azure/functions";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalStack } from "../../src/local/localStack";
import { runBin } from "../support/cli";
import { sampleRequest } from "../support/samples";

/** Issue 14: `flowdeploy plan` and `POST /api/deployments?dryRun=true` say what a request would do, changing nothing. */
const dir = mkdtempSync(join(tmpdir(), "flowdeploy-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("flowdeploy plan", () => {
  it("a new endpoint: create, grant, register version 1, create green, traffic none → green 100%", async () => {
    const r = await runBin(["plan", "samples/deploy-request.json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("endpoint    create web-classify (Key, SystemAssigned, principal known once created)");
    expect(r.stdout).toMatch(/role {8}grant: ea01e6af-a1c1-4350-9563-ad00f8c72ec5 on \/subscriptions\/.*\/workspaces\/ws-promptflow/);
    expect(r.stdout).toContain("model       register web-classification:1");
    expect(r.stdout).toContain("deployment  create green");
    expect(r.stdout).toContain("traffic     before: none; after: green 100%");
    expect(r.stdout).toContain("would start: no problems found");
  });

  it("an existing endpoint: reuse, roles already granted to its real principal, the free slot chosen, blue keeps 0%", async () => {
    const request = sampleRequest();
    delete request.deployment.name;
    const file = join(dir, "auto.json");
    writeFileSync(file, JSON.stringify(request));
    const r = await runBin(["plan", file, "--scenario", "samples/scenarios/existing-endpoint-blue.json", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const { plan } = JSON.parse(r.stdout.trim().split("\n").pop()!) as { plan: Record<string, any> };
    expect(plan.endpoint).toMatchObject({ action: "reuse", principalId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(plan.roles).toEqual([expect.objectContaining({ state: "granted" })]);
    expect(plan.deployment).toMatchObject({ name: "green", action: "create", chosen: expect.stringContaining("green") });
    expect(plan.traffic).toEqual({ before: { blue: 100 }, after: { blue: 0, green: 100 }, deleted: [] });
  });

  it("names what would stop the run (a live deployment under the requested name): exit 1", async () => {
    const request = sampleRequest();
    request.deployment.name = "blue";
    const file = join(dir, "live.json");
    writeFileSync(file, JSON.stringify(request));
    const r = await runBin(["plan", file, "--scenario", "samples/scenarios/existing-endpoint-blue.json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("PROBLEM     DeploymentIsLive");
  });

  it("an invalid request is rejected naming the field, exit 1", async () => {
    const request = sampleRequest();
    request.deployment.instanceCount = 0;
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify(request));
    const r = await runBin(["plan", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Rejected: deployment.instanceCount");
  });
});

describe("POST /api/deployments?dryRun=true", () => {
  it("answers 200 with the plan and starts, grants and writes nothing", async () => {
    const stack = await startLocalStack();
    try {
      const res = await stack.app.handlers.startDeploymentHttp(
        new HttpRequest({ url: "http://localhost:7071/api/deployments?dryRun=true", method: "POST", body: { string: JSON.stringify(sampleRequest()) }, headers: { "content-type": "application/json" } }),
        stack.client,
        new InvocationContext({ functionName: "startDeploymentHttp", logHandler: () => undefined }),
      );
      expect(res.status).toBe(200);
      expect(res.jsonBody).toMatchObject({ dryRun: true, plan: { endpoint: { action: "create" }, problems: [] } });
      expect(stack.runtime.listInstances()).toHaveLength(0);
      expect(stack.sim.requests().filter((r) => r.method !== "GET")).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it("checks the request id as intake would: a used id with the same body starts nothing, with another body it is a conflict", async () => {
    const stack = await startLocalStack();
    const post = (body: unknown, dryRun: boolean) =>
      stack.app.handlers.startDeploymentHttp(
        new HttpRequest({ url: `http://localhost:7071/api/deployments${dryRun ? "?dryRun=true" : ""}`, method: "POST", body: { string: JSON.stringify(body) }, headers: { "content-type": "application/json" } }),
        stack.client,
        new InvocationContext({ functionName: "startDeploymentHttp", logHandler: () => undefined }),
      );
    try {
      const request = sampleRequest();
      request.requestId = "plan-used-1";
      expect((await post(request, false)).status).toBe(202);
      const same = await post(request, true);
      expect((same.jsonBody as { plan: { problems: unknown[] } }).plan.problems).toEqual([expect.objectContaining({ code: "DuplicateRequest", message: expect.stringContaining("starts nothing") })]);
      const changed = await post({ ...request, deployment: { ...request.deployment, instanceCount: 2 } }, true);
      expect((changed.jsonBody as { plan: { problems: unknown[] } }).plan.problems).toEqual([expect.objectContaining({ code: "RequestIdConflict" })]);
      expect(stack.runtime.listInstances()).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });
});
