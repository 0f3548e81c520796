import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DeploymentNotification } from "../../src/contracts";
import { instanceIdFor } from "../../src/domain/ids";
import { serve } from "../../src/local/serve";
import { runBin, runCli } from "../support/cli";
import { readJson, repoRoot } from "../support/samples";

/**
 * Issue 17's scenarios, each run end to end as a user runs them — `flowdeploy local` (the CLI as a
 * child process, with --state-dir so the simulator's record of the endpoint can be read afterwards)
 * and `flowdeploy serve` (the request POSTed to /api/deployments, approvals answered with
 * `flowdeploy approve|reject` against it) — with the same checks on what the endpoint really did, read
 * from the simulator's traffic and mirror history (every split the scoring front end routed by, and
 * when):
 * - live traffic never exceeds the step in force: the new deployment's shares are the steps in order;
 * - a failed rollout ends on exactly the split it started from;
 * - no approval, no live traffic; a mirror is always removed, and a mirrored deployment is never live
 *   while mirrored;
 * - retention never deletes a deployment with traffic, nor one someone else made.
 */

const sample = (...parts: string[]) => join(repoRoot, "samples", ...parts);
const ENDPOINT = "web-classify";
const NEW = "green";

interface Case {
  name: string;
  request: string;
  scenario: string;
  answer?: { decision: "approve" } | { decision: "reject"; reason: string };
  outcome: "Succeeded" | "Failed";
  error?: { code: string; message: RegExp };
  /** The new deployment's live shares, in order, after the split it started from. */
  shares: number[];
  mirrored?: number;
  deleted?: string[];
}

const CANARY = sample("rollouts", "canary.request.json");
const MIRROR = sample("rollouts", "mirror.request.json");
const APPROVAL = sample("rollouts", "approval.request.json");
const CASES: Case[] = [
  { name: "a canary that passes every step", request: CANARY, scenario: "live-blue-with-load.json", outcome: "Succeeded", shares: [10, 25, 50, 100] },
  { name: "a canary that fails analysis at 10% (errors from the new deployment)", request: CANARY, scenario: "canary-unhealthy-green.json", outcome: "Failed", error: { code: "AnalysisFailed", message: /^step 1 of 3: 10%: error rate 20%/ }, shares: [10, 0] },
  { name: "a canary that fails on latency at 50%", request: CANARY, scenario: "canary-latency-at-50.json", outcome: "Failed", error: { code: "AnalysisFailed", message: /^step 3 of 3: 50%: p95 latency 2500 ms/ }, shares: [10, 25, 50, 0] },
  { name: "a mirror stage, healthy", request: MIRROR, scenario: "live-blue-with-load.json", outcome: "Succeeded", shares: [100], mirrored: 20 },
  { name: "a mirror stage whose copies fail", request: MIRROR, scenario: "canary-unhealthy-green.json", outcome: "Failed", error: { code: "AnalysisFailed", message: /^mirror 20%: error rate/ }, shares: [], mirrored: 20 },
  { name: "an approval that times out", request: APPROVAL, scenario: "existing-endpoint-blue.json", outcome: "Failed", error: { code: "ApprovalTimedOut", message: /^no approval within 120 minutes/ }, shares: [] },
  { name: "an approval rejected", request: APPROVAL, scenario: "existing-endpoint-blue.json", answer: { decision: "reject", reason: "the bulk test ran on stale data" }, outcome: "Failed", error: { code: "ApprovalRejected", message: /the bulk test ran on stale data; live traffic was not touched$/ }, shares: [] },
  { name: "an approval given", request: APPROVAL, scenario: "existing-endpoint-blue.json", answer: { decision: "approve" }, outcome: "Succeeded", shares: [100] },
  { name: "retention", request: sample("rollouts", "retention.request.json"), scenario: "retention.json", outcome: "Succeeded", shares: [100], deleted: ["fd-old1", "fd-old2"] },
];

interface Histories {
  traffic: { at: string; traffic: Record<string, number> }[];
  mirror: { at: string; mirror: Record<string, number> }[];
}

/** The endpoint's history as the simulator keeps it in its state file (--state-dir). */
function historiesOf(state: Record<string, unknown>): Histories {
  const pick = <T>(field: string): T[] => {
    const byEndpoint = (state[field] ?? {}) as Record<string, T[]>;
    const key = Object.keys(byEndpoint).find((k) => k.endsWith(`/onlineendpoints/${ENDPOINT}`));
    return key ? byEndpoint[key]! : [];
  };
  return { traffic: pick("trafficHistory"), mirror: pick("mirrorHistory") };
}

/** The checks every scenario shares, on the notification and on what the endpoint did. */
function checkRollout(c: Case, n: DeploymentNotification, h: Histories, deleting: string[]): void {
  expect(n.outcome, n.error?.message).toBe(c.outcome);
  if (c.error) expect(n.error).toMatchObject({ code: c.error.code, message: expect.stringMatching(c.error.message) });
  // Each change of the split (an update that changed only the mirror leaves it as it was).
  const [first, ...moves] = h.traffic.filter((m, i, all) => i === 0 || JSON.stringify(m.traffic) !== JSON.stringify(all[i - 1]!.traffic));
  expect(first!.traffic[NEW] ?? 0).toBe(0);
  // The new deployment's live share, split by split: exactly the steps, never more than the one in force.
  expect(moves.map((m) => m.traffic[NEW] ?? 0)).toEqual(c.shares);
  const last = h.traffic[h.traffic.length - 1]!.traffic;
  // A failed rollout ends on exactly the split it started from, and so does the notification.
  if (c.outcome === "Failed") {
    expect(last).toEqual(first!.traffic);
    expect(n.traffic).toEqual(first!.traffic);
  }
  const mirrorShares = h.mirror.map((m) => m.mirror[NEW] ?? 0);
  if (c.mirrored) {
    expect(Math.max(...mirrorShares)).toBe(c.mirrored);
    // Mirrored only before any live share, and removed afterwards.
    const mirroredAt = h.mirror.filter((m) => (m.mirror[NEW] ?? 0) > 0).map((m) => Date.parse(m.at));
    const liveAt = moves.filter((m) => (m.traffic[NEW] ?? 0) > 0).map((m) => Date.parse(m.at));
    if (liveAt.length > 0) expect(Math.max(...mirroredAt)).toBeLessThan(Math.min(...liveAt));
  } else {
    expect(mirrorShares.every((s) => s === 0)).toBe(true);
  }
  expect(mirrorShares.at(-1) ?? 0).toBe(0);
  // Retention: what it deleted had no live traffic when it went, and was flowdeploy's.
  expect([...deleting].sort()).toEqual(c.deleted ?? (c.outcome === "Failed" ? [NEW] : []));
  for (const name of deleting) expect(last[name] ?? 0).toBe(0);
  expect(deleting).not.toContain("theirs");
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("rollout scenarios through flowdeploy local", () => {
  it.each(CASES)("$name", async (c) => {
    const stateDir = mkdtempSync(join(tmpdir(), "flowdeploy-rollout-local-"));
    dirs.push(stateDir);
    const answer = c.answer?.decision === "approve" ? ["--approve"] : c.answer?.decision === "reject" ? ["--reject", c.answer.reason] : [];
    const run = await runBin(["local", "--json", "--request", c.request, "--scenario", sample("scenarios", c.scenario), "--state-dir", stateDir, ...answer]);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
    const n = lines.at(-1) as DeploymentNotification & { type: string };
    expect(run.code, run.stderr).toBe(c.outcome === "Succeeded" ? 0 : 1);
    const state = JSON.parse(readFileSync(join(stateDir, "simulator-state.json"), "utf8")) as Record<string, unknown>;
    checkRollout(c, n, historiesOf(state), n.deletedDeployments ?? []);
    // The rollout's progress is printed as stage lines: each bake, each verdict, the approval's wait and answer.
    const notes = lines.filter((l) => l.type === "stage").map((l) => `${l.stage} ${l.event}${l.note ? ` — ${l.note}` : ""}`);
    if (c.request === CANARY) expect(notes).toContain("traffic baking — step 1 of 3: 10% live until " + notes.find((x) => x.startsWith("traffic baking — step 1"))!.slice(-8));
    if (c.request === CANARY) expect(notes.some((x) => /^analysis (succeeded|failed) — (healthy|unhealthy): \d+ requests, [\d.]+% errors, p95 \d+ ms/.test(x))).toBe(true);
    if (c.request === APPROVAL) expect(notes.some((x) => x.startsWith("approval waiting — for an approval until ") && x.endsWith("(asked: ml-leads@contoso.com)"))).toBe(true);
    if (c.answer?.decision === "reject") expect(notes).toContain(`approval failed — rejected by local operator (flowdeploy local): ${c.answer.reason}`);
    if (c.request === MIRROR) expect(notes.some((x) => /^traffic baking — mirror 20% \(copies only, no live traffic\) until/.test(x))).toBe(true);
  });
});

describe("rollout scenarios through flowdeploy serve", () => {
  // Scaled real time (600 simulated seconds a second): an approval can be answered while the run waits.
  it.each(CASES)("$name", async (c) => {
    const stateDir = mkdtempSync(join(tmpdir(), "flowdeploy-rollout-serve-"));
    dirs.push(stateDir);
    const logs: string[] = [];
    const service = await serve({ port: 0, timeScale: 600, stateDir, scenario: readJson(sample("scenarios", c.scenario)), log: (line) => logs.push(line) });
    try {
      const request = readJson<Record<string, any>>(c.request);
      const id = instanceIdFor(request["requestId"]);
      const res = await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
      expect(res.status).toBe(202);
      if (c.answer) {
        for (let stage: string | undefined; stage !== "approval"; await new Promise((r) => setTimeout(r, 20))) {
          const s = await fetch(`${service.url}/api/deployments/${id}`);
          stage = s.status === 200 ? ((await s.json()) as { customStatus?: { stage?: string } }).customStatus?.stage : undefined;
        }
        // `flowdeploy status` says what the run waits for, and until when.
        const status = await runCli(["status", id, "--url", service.url]);
        expect(status.stdout).toMatch(/^ {2}approval +waiting for an approval until \d\d:\d\d:\d\d \(asked: ml-leads@contoso\.com\)$/m);
        const args = c.answer.decision === "approve" ? ["approve", id] : ["reject", id, "--reason", c.answer.reason];
        const answered = await runCli([...args, "--url", service.url]);
        expect(answered.code, answered.stderr).toBe(0);
      }
      const done = await service.stack.runtime.waitForCompletion(id, { timeoutMs: 120_000 });
      const n = JSON.parse(done.outputJson!) as DeploymentNotification;
      // The simulator persists every change to its state file as it happens.
      const state = JSON.parse(readFileSync(join(stateDir, "simulator-state.json"), "utf8")) as Record<string, unknown>;
      checkRollout(c, n, historiesOf(state), n.deletedDeployments ?? []);
      if (c.answer?.decision === "reject") expect(n.approval).toMatchObject({ decision: "rejected", by: "function key" });
      // serve's log follows the rollout too, one line per bake and wait.
      const id_ = `instance=${id}`;
      if (c.request === CANARY) expect(logs.some((l) => l.startsWith(`${id_} stage=traffic baking step 1 of 3: 10% live until `))).toBe(true);
      if (c.request === MIRROR) expect(logs.some((l) => l.startsWith(`${id_} stage=traffic baking mirror 20%`))).toBe(true);
      if (c.request === APPROVAL) expect(logs.some((l) => l.startsWith(`${id_} stage=approval waiting for an approval until `))).toBe(true);
    } finally {
      await service.close();
    }
  });
});

describe("flowdeploy local's approval flags", () => {
  it("are usage errors (exit 2, nothing started) when they do not make one answer", async () => {
    const reasonAlone = await runCli(["local", "--request", APPROVAL, "--reason", "looks fine"]);
    expect(reasonAlone).toMatchObject({ code: 2, stderr: expect.stringContaining("--reason goes with --approve") });
    const both = await runCli(["local", "--request", APPROVAL, "--approve", "--reject", "no"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--approve.*cannot be used with.*--reject/);
    const empty = await runCli(["local", "--request", APPROVAL, "--reject", " "]);
    expect(empty).toMatchObject({ code: 2, stderr: expect.stringContaining("--reject needs a reason") });
  });
});
