import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBin, runCli } from "../support/cli";
import { repoRoot, sampleRequest, sampleTarget, azureFixtures } from "../support/samples";

const passedEvent = (runId: string, deploy: unknown = sampleTarget()) => ({
  specversion: "1.0",
  id: runId,
  source: "/bulk-tests",
  type: "PromptFlow.BulkTestPassed",
  data: { schemaVersion: "1", bulkTestRunId: runId, metrics: { accuracy: 0.9 }, thresholds: { accuracy: 0.8 }, deploy },
});

describe("flowdeploy validate", () => {
  it("accepts the sample request (exit 0)", async () => {
    const run = await runCli(["validate", "--kind", "request", join(repoRoot, "samples", "deploy-request.json")]);
    expect(run).toMatchObject({ code: 0, stdout: "accepted\n" });
  });

  it("accepts the bundled sample event", async () => {
    const run = await runCli(["validate", "--kind", "event", join(repoRoot, "samples", "bulk-test-passed.event.json")]);
    expect(run).toMatchObject({ code: 0, stdout: "accepted\n" });
  });

  it("prints one line per problem naming the field, exit 1, no stack trace", async () => {
    const request = sampleRequest();
    request.deployment.instanceCount = 0;
    request.endpoint.authMode = 3;
    const run = await runCli(["validate", "--kind", "request", "-"], JSON.stringify(request));
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split("\n")).toEqual(["endpoint.authMode: expected \"key\" or \"aml_token\", received an integer", "deployment.instanceCount: expected a positive integer"]);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports text that is not JSON as a problem, not a crash", async () => {
    const run = await runCli(["validate", "--kind", "request", "-"], "{ nope");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^\(root\): not valid JSON/);
  });

  it("classifies every shared Azure ML Event Grid fixture as ignored", async () => {
    for (const file of readdirSync(azureFixtures).filter((f) => f.startsWith("eventgrid."))) {
      const run = await runCli(["validate", "--kind", "event", join(azureFixtures, file)]);
      expect(run.code, file).toBe(0);
      expect(run.stdout, file).toMatch(/^ignored: /);
    }
  });

  it("gives one result per event of an array, and the worst exit code", async () => {
    const bad = sampleTarget();
    bad.endpoint.name = "x";
    const events = [passedEvent("run1"), passedEvent("run2", bad), { ...passedEvent("run3"), type: "Microsoft.MachineLearningServices.ModelRegistered" }];
    const run = await runCli(["validate", "--kind", "event", "-"], JSON.stringify(events));
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toBe("[0] accepted");
    expect(lines[1]).toMatch(/^\[1\] data\.deploy\.endpoint\.name: endpoint names have 3 to 32 characters/);
    expect(lines[lines.length - 1]).toMatch(/^\[2\] ignored: /);
    const allGood = await runCli(["validate", "--kind", "event", "-"], JSON.stringify([passedEvent("a"), passedEvent("b")]));
    expect(allGood).toMatchObject({ code: 0, stdout: "[0] accepted\n[1] accepted\n" });
  });

  it("validates notifications", async () => {
    const run = await runCli(["validate", "--kind", "notification", "-"], JSON.stringify({ schemaVersion: "1", outcome: "Maybe" }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^outcome: expected Succeeded, Failed, Rejected, Cancelled or AwaitingApproval/m);
  });

  it.each([
    [["validate", "--kind", "bogus", "x.json"], /allowed choices are request, event, notification/i],
    [["validate", "x.json"], /--kind/],
    [["validate", "--kind", "request"], /missing required argument/i],
    [["validate", "--kind", "request", "/no/such/file.json"], /no such file/],
    [["frobnicate"], /unknown command/i],
  ])("exits 2 for usage errors: %j", async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe("flowdeploy schema", () => {
  it("prints every contract's JSON Schema, or one with --kind", async () => {
    const all = JSON.parse((await runCli(["schema"])).stdout);
    expect(Object.keys(all)).toEqual(["request", "event", "notification"]);
    const one = await runCli(["schema", "--kind", "notification"]);
    expect(JSON.parse(one.stdout).title).toBe("DeploymentNotification");
  });
});

describe("the flowdeploy bin", () => {
  it("runs from the TypeScript sources right after npm ci (as npx flowdeploy does)", async () => {
    const ok = await runBin(["validate", "--kind", "request", "-"], JSON.stringify(sampleRequest()));
    expect(ok).toMatchObject({ code: 0, stdout: "accepted\n" });
    const bad = await runBin(["validate", "--kind", "request", "-"], "[]");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("");
    const help = await runBin(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/validate/);
  });
});

describe("flowdeploy validate --intake-rules", () => {
  const WS = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow";
  it("applies the Function App's rules from the environment: the sample event is too old and the sample request's workspace must be listed", async () => {
    const env = { FLOWDEPLOY_ALLOWED_WORKSPACES: WS, FLOWDEPLOY_ALLOWED_EVENT_SOURCES: WS, FLOWDEPLOY_GATES: '{"accuracy": 0.9}' };
    const contractOnly = await runBin(["validate", "--kind", "event", join(repoRoot, "samples", "bulk-test-passed.event.json")]);
    expect(contractOnly).toMatchObject({ code: 0, stdout: "accepted\n" });
    const event = await runBin(["validate", "--intake-rules", "--kind", "event", join(repoRoot, "samples", "bulk-test-passed.event.json")], "", { ...process.env, ...env });
    expect(event).toMatchObject({ code: 1, stdout: expect.stringMatching(/^EventTooOld: time: the event is \d+ minutes old; at most 1440/) });
    const request = await runBin(["validate", "--intake-rules", "--kind", "request", "-"], JSON.stringify(sampleRequest()), { ...process.env, ...env });
    expect(request).toMatchObject({ code: 0, stdout: "accepted\n" });
    const unlisted = await runBin(["validate", "--intake-rules", "--kind", "request", "-"], JSON.stringify(sampleRequest()), { ...process.env, FLOWDEPLOY_ALLOWED_WORKSPACES: "" });
    expect(unlisted).toMatchObject({ code: 1, stdout: "WorkspaceNotAllowed: workspace: this workspace is not in FLOWDEPLOY_ALLOWED_WORKSPACES\n" });
  });
});
