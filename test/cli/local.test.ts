import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBin } from "../support/cli";
import { repoRoot, sampleEventRequestId, sampleRequest } from "../support/samples";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "flowdeploy-local-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const jsonLines = (stdout: string) => stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);

describe("flowdeploy local (what `npm run local` runs)", () => {
  it("deploys the bundled sample offline and prints a Succeeded notification", async () => {
    const run = await runBin(["local"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Succeeded: web-classify\/green serves 100% of traffic/m);
    expect(run.stdout).toMatch(/propagation +succeeded \(16m00s\)/);
    expect(run.stderr).toBe("");
  });

  it("prints only JSON lines with --json: stage events, then the notification", async () => {
    const run = await runBin(["local", "--json"]);
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.at(-1)).toMatchObject({ type: "notification", outcome: "Succeeded" });
    const stages = lines.filter((l) => l.type === "stage");
    for (const name of ["endpoint", "roles", "model", "deployment", "propagation", "smokeTest", "traffic"]) {
      expect(stages.filter((s) => s.stage === name).map((s) => s.event)).toEqual(["started", "succeeded"]);
    }
  });

  it("deploys from the bundled Event Grid event", async () => {
    const run = await runBin(["local", "--json", "--event", join(repoRoot, "samples", "bulk-test-passed.event.json")]);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).at(-1)).toMatchObject({ type: "notification", outcome: "Succeeded", requestId: sampleEventRequestId() });
  });

  it("exits 1 with a Failed notification for a failing scenario, and with a Rejected one for a bad request", async () => {
    const failed = await runBin(["local", "--json", "--scenario", join(repoRoot, "samples", "scenarios", "image-pull-failure.json")]);
    expect(failed.code).toBe(1);
    expect(jsonLines(failed.stdout).at(-1)).toMatchObject({ outcome: "Failed", error: { stage: "deployment", code: "ImagePullFailure" } });

    const bad = sampleRequest();
    bad.endpoint.name = "bad_name";
    const file = join(tempDir(), "bad.json");
    writeFileSync(file, JSON.stringify(bad));
    const rejected = await runBin(["local", "--json", "--request", file]);
    expect(rejected.code).toBe(1);
    const n = jsonLines(rejected.stdout).at(-1)!;
    expect(n).toMatchObject({ outcome: "Rejected", error: { stage: "request" } });
    expect(n.error.message).toMatch(/^endpoint\.name: /);
  });

  it("exits 2 for usage errors", async () => {
    expect((await runBin(["local", "--time-scale", "0"])).code).toBe(2);
    expect((await runBin(["local", "--request", "/no/such.json"])).code).toBe(2);
    expect((await runBin(["local", "--request", "a.json", "--event", "b.json"])).code).toBe(2);
  });

  it("resumes a run killed with SIGKILL mid-wait from its state directory, without repeating side effects", async () => {
    const stateDir = tempDir();
    // Scaled real time (300x: the 18 simulated minutes take ~4 s) so there is a "middle" to kill it in.
    const child = spawn(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), "local", "--json", "--time-scale", "300", "--state-dir", stateDir], { cwd: repoRoot });
    let out = "";
    child.stdout.on("data", (c) => (out += String(c)));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (out.includes('"stage":"deployment","event":"started"')) {
          clearInterval(check);
          child.kill("SIGKILL");
          resolve();
        }
      }, 20);
    });
    await new Promise((r) => child.on("close", r));
    expect(out).not.toContain('"type":"notification"');

    const resumed = await runBin(["local", "--state-dir", stateDir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("Succeeded: web-classify/green");
    // The "simulated" line counts the whole deployment, not just the part after the resume (issue 14).
    // (At 300x the virtual clock drifts a little: 18 minutes and some seconds; the resumed part alone is shorter.)
    expect(resumed.stdout).toMatch(/simulated 1[89]m\d\ds in/);

    const sim = JSON.parse(readFileSync(join(stateDir, "simulator-state.json"), "utf8")) as { requestLog: { operation: string; status: number; path: string }[] };
    const count = (op: string) => sim.requestLog.filter((r) => r.operation === op && r.status < 300).length;
    expect(count("onlineEndpoints.createOrUpdate")).toBe(2); // the create, and the traffic update
    expect(count("onlineDeployments.createOrUpdate")).toBe(1);
    expect(count("modelVersions.createOrUpdate")).toBe(1);
    // One role (the system-assigned identity's secrets reader), under one deterministic name: a grant
    // the kill interrupted is PUT again after the resume (at most once more), never as a twin.
    const grants = sim.requestLog.filter((r) => r.operation === "roleAssignments.create" && r.status < 300);
    expect(new Set(grants.map((r) => r.path.toLowerCase())).size).toBe(1);
    expect(grants.length === 1 || grants.length === 2, `${grants.length} grants`).toBe(true);
  }, 60_000);
});
