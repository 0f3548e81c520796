import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { instanceIdFor } from "../../src/domain/ids";
import { serve } from "../../src/local/serve";
import { startSimulator } from "../../src/local/simulator";
import { runBin } from "../support/cli";
import { repoRoot, sampleRequest } from "../support/samples";
import { recordedDeploy, recordStack, RELIABILITY_TIMER_LATENESS_SECONDS } from "./support/deploy";
import { leakScanSummary, leaksIn, readStateDirectory, recordArtifact, recordSecrets, recordStateDirectory, scanForLeaksAfterAll, SIMULATOR_STATE_FILE } from "./support/leaks";
import { reportRow } from "./support/report";

/**
 * Promise 7: secrets stay secret. The endpoint keys and AML tokens the simulator issued must not
 * appear in orchestration history, custom status, outputs, logs, notifications, error messages, CLI
 * output, HTTP responses or the state directory. Every reliability test file ends with this scan over
 * everything it produced (test/reliability/support/leaks.ts); this file adds the runs where secrets
 * are most at risk — both auth modes, scoring failures whose errors travel into history and
 * notifications, the CLI with a state directory, the HTTP status route, the status page — and a positive control
 * proving the scan finds a leak.
 *
 * Not scanned: the simulator's own state file (simulator-state.json). It is Azure's state — the
 * endpoint's keys live there as they live in Azure — written by the stand-in, not by flowdeploy, and
 * it is where the scan reads the secrets from. Its temp copies (simulator-state.json.<pid>.tmp, left
 * by a run killed mid-write) are scanned: one left behind is a leak.
 */
scanForLeaksAfterAll({ minSecrets: 6 });

const START = new Date("2026-11-23T10:00:00.000Z");
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "flowdeploy-secrets-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  reportRow("secrets", leakScanSummary());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const liveBlue = { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] };
const tokenRequest = () => {
  const r = sampleRequest();
  r["endpoint"].authMode = "aml_token";
  r["endpoint"].name = "web-classify-tok";
  return r;
};

describe("secrets stay secret", () => {
  it("the scan finds a key in any artifact, whole or truncated (positive control)", () => {
    const key = randomBytes(32).toString("base64");
    expect(leaksIn([{ where: "a log line", text: `POST /score Authorization: Bearer ${key}` }], [key])).toEqual([{ where: "a log line", secret: `${key.slice(0, 4)}…` }]);
    expect(leaksIn([{ where: "a truncated error", text: `token ${key.slice(0, 24)}...` }], [key])).toHaveLength(1);
    expect(leaksIn([{ where: "a masked key", text: `****${key.slice(-22)}` }], [key])).toHaveLength(1);
    expect(leaksIn([{ where: "clean", text: "nothing here" }], [key])).toEqual([]);
  });

  it("a temp copy of the simulator state left in a state directory is found as a leak (positive control)", () => {
    const dir = tempDir();
    const key = randomBytes(32).toString("base64");
    const state = JSON.stringify({ secrets: [key], endpoints: { ep: { keys: { primaryKey: key } } } });
    writeFileSync(join(dir, SIMULATOR_STATE_FILE), state);
    writeFileSync(join(dir, `${SIMULATOR_STATE_FILE}.4242.tmp`), state);
    const { artifacts, secrets } = readStateDirectory(dir, "dir");
    expect(leaksIn(artifacts, secrets)).toEqual([{ where: `dir/${SIMULATOR_STATE_FILE}.4242.tmp`, secret: `${key.slice(0, 4)}…` }]);
    // A torn copy (killed mid-write: not JSON) still gives the key away.
    writeFileSync(join(dir, `${SIMULATOR_STATE_FILE}.4242.tmp`), state.slice(0, -10));
    expect(leaksIn(readStateDirectory(dir, "dir").artifacts, secrets)).toHaveLength(1);
  });

  it("a run killed between writing the simulator state's temp copy and renaming it leaves no copy once the state is opened again", async () => {
    const dir = tempDir();
    const stateFile = join(dir, SIMULATOR_STATE_FILE);
    await (await startSimulator({ stateFile })).close();
    // What SIGKILL between writeFileSync and renameSync leaves: a process that wrote its temp copy and died.
    const killed = spawnSync(process.execPath, ["-e", `require("fs").copyFileSync(${JSON.stringify(stateFile)}, ${JSON.stringify(stateFile)} + "." + process.pid + ".tmp"); process.kill(process.pid, "SIGKILL")`]);
    expect(killed.signal).toBe("SIGKILL");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toHaveLength(1);
    const again = await startSimulator({ stateFile });
    await again.close();
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    recordStateDirectory(dir, "killed mid-write, reopened");
  });

  it("key auth: a succeeded run, and one whose smoke test saw 401, 503 and a reset before passing", async () => {
    const ok = await recordedDeploy({ startAt: START }, "key auth");
    expect(ok.notification.outcome).toBe("Succeeded");
    expect(ok.counts["onlineEndpoints.listKeys"]).toBeGreaterThan(0);
    const bumpy = await recordedDeploy(
      {
        startAt: START,
        scenario: {
          faults: [
            { op: "score", status: 401, times: 1 },
            { op: "score", status: 503, retryAfterSeconds: 0, times: 1 },
            { op: "score", reset: true, times: 1 },
          ],
        },
      },
      "key auth, scoring faults",
    );
    expect(bumpy.notification.outcome).toBe("Succeeded");
    expect(bumpy.logs.length).toBeGreaterThan(0);
  });

  it("token auth: a succeeded run and a failed smoke test whose error reaches history and the notification", async () => {
    const ok = await recordedDeploy({ startAt: START, request: tokenRequest() }, "token auth");
    expect(ok.notification.outcome).toBe("Succeeded");
    expect(ok.counts["onlineEndpoints.getToken"]).toBeGreaterThan(0);
    const failed = await recordedDeploy({ startAt: START, request: tokenRequest(), scenario: { faults: [{ op: "score", status: 500, times: -1 }] } }, "token auth, smoke test failing");
    expect(failed.notification).toMatchObject({ outcome: "Failed", error: { stage: "smokeTest" } });
    recordArtifact("token auth failure message", failed.notification.error);
  });

  it("a smoke test never authorized (401 every time): the reason travels, the key does not", async () => {
    const run = await recordedDeploy({ startAt: START, scenario: { ...liveBlue, faults: [{ op: "score", deployment: "green", status: 401, times: -1 }] } }, "never authorized");
    expect(run.notification).toMatchObject({ outcome: "Failed", error: { code: "NotAuthorizedInTime" } });
    expect(run.notification.error!.message).toMatch(/401/);
  });

  it("the CLI (a child process, as people run it): stdout, stderr, its spans (--trace) and every file of the state directory but the simulator's own", async () => {
    const okDir = tempDir();
    // The spans go into the state directory, so the scan below reads them with everything else.
    const ok = await runBin(["local", "--json", "--state-dir", okDir, "--trace", join(okDir, "spans.jsonl")]);
    expect(ok.code, ok.stderr).toBe(0);
    recordArtifact("cli local: output", ok.stdout + ok.stderr);
    const failDir = tempDir();
    const failed = await runBin(["local", "--state-dir", failDir, "--trace", join(failDir, "spans.jsonl"), "--scenario", join(repoRoot, "samples", "scenarios", "green-scoring-500.json")]);
    expect(failed.code).toBe(1);
    recordArtifact("cli local failing: output", failed.stdout + failed.stderr);

    for (const dir of [okDir, failDir]) {
      const { files } = recordStateDirectory(dir, `cli state ${dir}`);
      expect(files, "runner histories were scanned").toBeGreaterThan(0);
      // The excluded file really holds the keys: excluding it is a decision, not an accident.
      const state = JSON.parse(readFileSync(join(dir, SIMULATOR_STATE_FILE), "utf8")) as { secrets: string[] };
      expect(state.secrets.length).toBeGreaterThan(0);
      // The spans were written (a smoke test's scoring call among them) and scanned.
      const spans = readFileSync(join(dir, "spans.jsonl"), "utf8");
      expect(spans).toContain('"name":"flowdeploy activity smokeTest"');
    }
  });

  it("flowdeploy serve: the starter's answer, the status route while running and after, and the status page opened with a key", async () => {
    const service = await serve({ port: 0, startAt: START, runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS } });
    try {
      // The status page as opened on Azure, `?code=<key>`: the key must not come back in it (the page
      // rendered in Chromium, and every answer it read, are scanned by test/statusPage/browser.test.ts).
      const functionKey = randomBytes(30).toString("base64url");
      recordSecrets([functionKey]);
      const page = await fetch(`${service.url}/api/status?code=${functionKey}`, { headers: { "x-functions-key": functionKey } });
      expect(page.status).toBe(200);
      recordArtifact("serve: status page", await page.text());
      const request = sampleRequest();
      const res = await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
      expect(res.status).toBe(202);
      recordArtifact("serve: 202", await res.text());
      const statusUrl = `${service.url}/api/deployments/${instanceIdFor(request["requestId"])}`;
      for (let i = 0; i < 200; i++) {
        const status = await fetch(statusUrl);
        const text = await status.text();
        recordArtifact(`serve: status ${i}`, text);
        if ((JSON.parse(text) as { runtimeStatus: string }).runtimeStatus === "Completed") break;
        await new Promise((r) => setTimeout(r, 5));
      }
      const final = (await (await fetch(statusUrl)).json()) as { runtimeStatus: string; customStatus: { stages: unknown[] }; output: { outcome: string } };
      expect(final).toMatchObject({ runtimeStatus: "Completed", output: { outcome: "Succeeded" } });
      expect(final.customStatus.stages.length).toBeGreaterThan(0);
    } finally {
      recordStack(service.stack, "serve");
      await service.close();
    }
  });
});
