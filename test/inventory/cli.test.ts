import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningService } from "../../src/local/serve";
import { runCli } from "../support/cli";
import { EXPECTED_ROWS, EXPECTED_SUMMARY, inventoryScenario, OTHER_WS_ID, T0, WS_ID } from "./support";

/**
 * `flowdeploy inventory` against `flowdeploy serve` with the local allow-list `*`: without
 * --workspace the route reads the scenario's workspace. Table, --json and exit codes.
 */
let service: RunningService;
beforeAll(async () => {
  service = await serve({ port: 0, startAt: T0, scenario: inventoryScenario() });
});
afterAll(async () => service?.close());

const HEADER =
  '4 prompt flow deployments remain in 1 workspace: prompt flow is retired on 2027-04-20 (read-only from then; its runtime images get no updates, security fixes included, since 2026-04-20; Microsoft Learn, "Migrate Prompt Flow to Agent Framework" (learn.microsoft.com/azure/machine-learning/prompt-flow/migrate-prompt-flow-to-agent-framework))';

describe("flowdeploy inventory", () => {
  it("prints the header, the table most traffic first and what else it counted; exit 0", async () => {
    const run = await runCli(["inventory", "--url", service.url]);
    expect(run).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        HEADER,
        "ENDPOINT      DEPLOYMENT  TRAFFIC          INSTANCES            IMAGE                                                           SUPPORT ENDS  DAYS LEFT",
        "support-chat  blue        100%             2 × Standard_DS4_v2  mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest  2027-04-20    148",
        "web-classify  blue        100%             1 × Standard_DS3_v2  mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest  2027-04-20    148",
        "legacy        flow        0% (mirror 20%)  3 × Standard_F4s_v2  contoso.azurecr.io/flows/legacy:7                               2027-04-20    148",
        "web-classify  green       0%               1 × Standard_DS3_v2  mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest  2027-04-20    148",
        "also read: 2 agent deployments, 1 other deployment",
        "",
      ].join("\n"),
    });
  });

  it("--json prints the HTTP status and the route's answer as one line; --workspace narrows it", async () => {
    const run = await runCli(["inventory", "--url", service.url, "--json", "--workspace", WS_ID]);
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n")).toHaveLength(2);
    expect(JSON.parse(run.stdout)).toEqual({ status: 200, body: { generatedAt: T0.toISOString(), supportEnds: "2027-04-20", rows: EXPECTED_ROWS, summary: EXPECTED_SUMMARY, errors: [] } });
  });

  it("says when nothing remains, naming each workspace read", async () => {
    const run = await runCli(["inventory", "--url", service.url, "--workspace", OTHER_WS_ID]);
    expect(run).toEqual({
      code: 0,
      stderr: "",
      stdout: `${HEADER.replace(/^4 prompt flow deployments remain in 1 workspace/, "no prompt flow deployment remains in the 1 workspace read")}\nalso read: 0 agent deployments, 0 other deployments\n`,
    });
  });

  it("exits 1 when every workspace fails to be read (each on stderr), and when the app cannot be reached; 2 for a --workspace that is not an id", async () => {
    service.stack.sim.injectFault({ op: "onlineEndpoints.list", status: 404, code: "ResourceNotFound", times: 1 });
    const missing = await runCli(["inventory", "--url", service.url, "--workspace", OTHER_WS_ID]);
    expect(missing).toMatchObject({ code: 1, stderr: `flowdeploy inventory: ${OTHER_WS_ID}: ResourceNotFound: not found (HTTP 404): the workspace does not exist, or the app cannot see it\n` });
    expect(missing.stdout).toMatch(/^no prompt flow deployment remains in the 0 workspaces read: /);

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const unreachable = await runCli(["inventory", "--url", `http://127.0.0.1:${port}`]);
    expect(unreachable).toMatchObject({ code: 1, stdout: "", stderr: expect.stringMatching(new RegExp(`^flowdeploy inventory: cannot reach http://127\\.0\\.0\\.1:${port}: `)) });

    const usage = await runCli(["inventory", "--url", service.url, "--workspace", "ws-promptflow"]);
    expect(usage).toMatchObject({ code: 2, stdout: "", stderr: "flowdeploy: --workspace must be an Azure ML workspace resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<name>), got 'ws-promptflow'\n" });
  });

  it("exits 1 when the app refuses, printing the route's errors on stderr", async () => {
    const refused = await runCli(["inventory", "--url", `${service.url}/api/nowhere-`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^flowdeploy inventory: HTTP 404: /);
  });
});
