import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBin } from "../support/cli";
import { sampleRequest } from "../support/samples";

/**
 * Issue 14: `flowdeploy local` must end on every input — an ignored event, an empty batch, a request
 * file with a byte-order mark, a body over the 256 KB message limit — saying what happened.
 */
const dir = mkdtempSync(join(tmpdir(), "flowdeploy-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("flowdeploy local never waits for a notification that cannot come", () => {
  it("an Azure ML event that does not trigger deployments: 'Ignored', exit 0", async () => {
    const event = { id: "e1", eventType: "Microsoft.MachineLearningServices.ModelRegistered", subject: "models/x:1", eventTime: new Date().toISOString(), dataVersion: "2", data: {}, topic: "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow" };
    const r = await runBin(["local", "--event", file("ignored.json", JSON.stringify(event))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Ignored: .*ModelRegistered events do not trigger deployments/);
  });

  it("an empty event array: 'Ignored', exit 0", async () => {
    const r = await runBin(["local", "--event", file("empty.json", "[]")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Ignored: the event array is empty");
  });

  it("a request file starting with a UTF-8 byte-order mark deploys (as validate and the queue read it)", async () => {
    const r = await runBin(["local", "--request", file("bom.json", `\uFEFF${JSON.stringify(sampleRequest())}`)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Succeeded: web-classify/green");
  });

  it("a body over the 256 KB message limit is rejected before anything starts, exit 1", async () => {
    const request = sampleRequest();
    request.smokeTest.input = { url: "https://example.com", pad: "x".repeat(300 * 1024) };
    const r = await runBin(["local", "--request", file("big.json", JSON.stringify(request))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Rejected: .*the limit is 262144/);
    expect(r.stdout).not.toContain("smokeTest");
  });
});
