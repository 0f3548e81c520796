import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DeploymentNotification } from "../../src/contracts";
import { instanceIdFor } from "../../src/domain/ids";
import { AGENT_ROLES, RoleIds } from "../../src/domain/roles";
import { serve } from "../../src/local/serve";
import { runBin, runCli } from "../support/cli";
import { readJson, repoRoot } from "../support/samples";

/**
 * Issue 19 end to end, as a user runs it — `flowdeploy local` (the CLI as a child process, --state-dir
 * kept so the simulator's record can be read afterwards) and `flowdeploy serve` (the request POSTed to
 * /api/deployments) — with the same checks on what Azure (the simulator) really did:
 * - an agent is deployed as code: a code version of the folder, a code configuration, its environment
 *   registered from image + conda file, Cognitive Services User on its AI Services account and no
 *   prompt flow connection role;
 * - a migration moves live traffic only after parity (and the mirror), through the canary steps, and
 *   retires the prompt flow; a parity failure leaves the prompt flow at 100% with the failing cases in
 *   the notification; an endpoint without a live prompt flow is refused before anything changes.
 */

const sample = (...parts: string[]) => join(repoRoot, "samples", ...parts);
const AGENT = sample("agents", "agent.request.json");
const MIGRATE = sample("agents", "migrate.request.json");
const AI = "/subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-promptflow/providers/microsoft.cognitiveservices/accounts/contoso-ai";

interface Case {
  name: string;
  request: string;
  scenario: string;
  endpoint: string;
  /** The agent deployment's name: the blue/green slot flowdeploy picks. */
  slot: string;
  outcome: "Succeeded" | "Failed";
  error?: { stage: string; code: string; message: RegExp };
  /** The new deployment's live shares, in order, after the split it started from. */
  shares: number[];
  mirrored?: number;
  parity?: DeploymentNotification["parity"];
  retired: string[];
  /** Deployments the run deleted: retired prompt flows and its own failed one. */
  deleted: string[];
  /** Nothing in Azure changed (only reads). */
  readOnly?: boolean;
}

const CASES: Case[] = [
  { name: "an agent deployment on a new endpoint", request: AGENT, scenario: "agent.json", endpoint: "web-classify-agent", slot: "blue", outcome: "Succeeded", shares: [100], retired: [], deleted: [] },
  {
    name: "a full migration: parity, mirror, canary, prompt flow retired",
    request: MIGRATE,
    scenario: "migration.json",
    endpoint: "web-classify",
    slot: "green",
    outcome: "Succeeded",
    shares: [10, 50, 100],
    mirrored: 20,
    parity: { baseline: "blue", candidate: "green", cases: 6, passed: 6, scorePercent: 100, minScorePercent: 100, failing: [] },
    retired: ["blue"],
    deleted: ["blue"],
  },
  {
    name: "a parity failure: the prompt flow keeps 100%",
    request: MIGRATE,
    scenario: "migration-divergent.json",
    endpoint: "web-classify",
    slot: "green",
    outcome: "Failed",
    error: { stage: "parity", code: "ParityFailed", message: /^5 of 6 cases match blue \(83\.3%\); at least 100% needed\. First failing case #1: category: agent "None", prompt flow "Academic"$/ },
    shares: [],
    parity: { baseline: "blue", candidate: "green", cases: 6, passed: 5, scorePercent: 83.3, minScorePercent: 100, failing: [{ index: 1, reasons: ['category: agent "None", prompt flow "Academic"'] }] },
    retired: [],
    deleted: ["green"],
  },
  {
    name: "nothing to migrate: no endpoint, nothing created",
    request: MIGRATE,
    scenario: "agent.json",
    endpoint: "web-classify",
    slot: "green",
    outcome: "Failed",
    error: { stage: "endpoint", code: "NothingToMigrate", message: /^endpoint web-classify does not exist or has no deployments; a "migrate" rollout moves a live prompt flow endpoint to an agent/ },
    shares: [],
    retired: [],
    deleted: [],
    readOnly: true,
  },
];

type State = Record<string, any>;

function historyOf<T>(state: State, field: string, endpoint: string): T[] {
  const byEndpoint = (state[field] ?? {}) as Record<string, T[]>;
  const key = Object.keys(byEndpoint).find((k) => k.endsWith(`/onlineendpoints/${endpoint}`));
  return key ? byEndpoint[key]! : [];
}

function check(c: Case, n: DeploymentNotification, state: State): void {
  expect(n.outcome, n.error?.message).toBe(c.outcome);
  expect(n.target).toBe("agent");
  if (c.error) expect(n.error).toMatchObject({ stage: c.error.stage, code: c.error.code, message: expect.stringMatching(c.error.message) });
  expect(n.parity).toEqual(c.parity);
  expect(n.retiredDeployments ?? []).toEqual(c.retired);
  // What the run changed in Azure, from the simulator's request log.
  const log = state["requestLog"] as { method: string; path: string; status: number }[];
  const writes = log.filter((r) => r.method !== "GET" && !/\/(score|listKeys|token)$/i.test(r.path) && !/\/metrics$/i.test(r.path));
  if (c.readOnly) {
    expect(writes).toEqual([]);
    return;
  }
  const deletes = writes.filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop());
  expect(deletes.sort()).toEqual([...c.deleted].sort());

  const traffic = historyOf<{ at: string; traffic: Record<string, number> }>(state, "trafficHistory", c.endpoint);
  const [first, ...moves] = traffic.filter((m, i, all) => i === 0 || JSON.stringify(m.traffic) !== JSON.stringify(all[i - 1]!.traffic));
  expect(first!.traffic[c.slot] ?? 0).toBe(0);
  expect(moves.map((m) => m.traffic[c.slot] ?? 0)).toEqual(c.shares);
  if (c.outcome === "Failed") {
    // The prompt flow never lost a request's worth of traffic.
    expect(traffic.every((m) => (m.traffic[c.slot] ?? 0) === 0)).toBe(true);
    expect(n.traffic).toEqual({ blue: 100 });
  }
  const mirror = historyOf<{ at: string; mirror: Record<string, number> }>(state, "mirrorHistory", c.endpoint);
  const mirrorShares = mirror.map((m) => m.mirror[c.slot] ?? 0);
  expect(Math.max(0, ...mirrorShares)).toBe(c.mirrored ?? 0);
  expect(mirrorShares.at(-1) ?? 0).toBe(0);
  if (c.mirrored) {
    const mirroredAt = mirror.filter((m) => (m.mirror[c.slot] ?? 0) > 0).map((m) => Date.parse(m.at));
    const liveAt = moves.filter((m) => (m.traffic[c.slot] ?? 0) > 0).map((m) => Date.parse(m.at));
    expect(Math.max(...mirroredAt)).toBeLessThan(Math.min(...liveAt));
  }

  // The agent as Azure holds it: code configuration → a code version of the request's folder; environment from image + conda file.
  const green = Object.entries(state["deployments"] as Record<string, State>).find(([k]) => k.endsWith(`/onlineendpoints/${c.endpoint}/deployments/${c.slot}`))?.[1];
  if (c.deleted.includes(c.slot)) return;
  expect(green!["properties"]["model"] ?? null).toBeNull();
  const { codeId, scoringScript } = green!["properties"]["codeConfiguration"];
  expect(scoringScript).toBe("score.py");
  const code = (state["codeVersions"] as Record<string, State>)[codeId.toLowerCase()];
  expect(code!["codeUri"]).toBe("azureml://subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/rg-promptflow/workspaces/ws-promptflow/datastores/workspaceblobstore/paths/agents/web-classification");
  const env = (state["environmentVersions"] as Record<string, State>)[green!["properties"]["environmentId"].toLowerCase()];
  expect(env).toMatchObject({ image: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest", inferenceConfig: null });
  expect(env!["condaFile"]).toContain("azureml-inference-server-http");
  expect(Object.keys(green!["properties"]["environmentVariables"] ?? {})).not.toContain("PROMPTFLOW_RUN_MODE");
  // Roles this run granted: Cognitive Services User on the AI Services account; no prompt flow connection role.
  const assignments = Object.values(state["roleAssignments"] as Record<string, State>).filter((a) => Date.parse(a["createdOn"]) >= Date.parse(n.startedAt));
  const onAccount = assignments.find((a) => a["scope"].toLowerCase() === AI && a["roleGuid"] === AGENT_ROLES.aiServices.guid);
  expect(onAccount).toBeDefined();
  const principal = onAccount!["principalId"];
  expect(assignments.filter((a) => a["principalId"] === principal && a["roleGuid"] === RoleIds.connectionSecretsReader)).toEqual([]);
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("agents and migrations through flowdeploy local", () => {
  it.each(CASES)("$name", async (c) => {
    const stateDir = mkdtempSync(join(tmpdir(), "flowdeploy-migrate-local-"));
    dirs.push(stateDir);
    const run = await runBin(["local", "--json", "--request", c.request, "--scenario", sample("scenarios", c.scenario), "--state-dir", stateDir]);
    expect(run.code, run.stderr).toBe(c.outcome === "Succeeded" ? 0 : 1);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
    const n = lines.at(-1) as DeploymentNotification;
    check(c, n, JSON.parse(readFileSync(join(stateDir, "simulator-state.json"), "utf8")) as State);
    // The parity verdict is printed on the line that ends its stage.
    const notes = lines.filter((l) => l.type === "stage").map((l) => `${l.stage} ${l.event}${l.note ? ` — ${l.note}` : ""}`);
    if (c.parity) expect(notes).toContain(`parity ${c.outcome === "Succeeded" ? "succeeded" : "failed"} — ${c.parity.passed} of ${c.parity.cases} cases match blue (${c.parity.scorePercent}%; at least 100% needed)`);
  });
});

describe("agents and migrations through flowdeploy serve", () => {
  it.each(CASES)("$name", async (c) => {
    const stateDir = mkdtempSync(join(tmpdir(), "flowdeploy-migrate-serve-"));
    dirs.push(stateDir);
    const service = await serve({ port: 0, timeScale: 600, stateDir, scenario: readJson(sample("scenarios", c.scenario)), log: () => {} });
    try {
      const request = readJson<Record<string, any>>(c.request);
      const id = instanceIdFor(request["requestId"]);
      const res = await fetch(`${service.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request) });
      expect(res.status).toBe(202);
      const done = await service.stack.runtime.waitForCompletion(id, { timeoutMs: 120_000 });
      const n = JSON.parse(done.outputJson!) as DeploymentNotification;
      check(c, n, JSON.parse(readFileSync(join(stateDir, "simulator-state.json"), "utf8")) as State);
      // The run's status says how the parity check went.
      const status = (await (await fetch(`${service.url}/api/deployments/${id}`)).json()) as { customStatus?: { parity?: unknown } };
      if (c.parity) expect(status.customStatus?.parity).toEqual({ baseline: "blue", cases: c.parity.cases, passed: c.parity.passed, scorePercent: c.parity.scorePercent, minScorePercent: 100 });
      // `flowdeploy status` prints the score and each failing case.
      const shown = await runCli(["status", id, "--url", service.url]);
      if (c.parity) expect(shown.stdout).toContain(`  parity: ${c.parity.passed} of ${c.parity.cases} cases match blue (${c.parity.scorePercent}%; at least 100% needed)\n`);
      for (const f of c.parity?.failing ?? []) expect(shown.stdout).toContain(`    case #${f.index}: ${f.reasons.join("; ")}\n`);
    } finally {
      await service.close();
    }
  });
});

describe("flowdeploy plan for a migration", () => {
  it("says what would be retired, and refuses an endpoint with no live prompt flow, changing nothing", async () => {
    const live = await runBin(["plan", MIGRATE, "--scenario", sample("scenarios", "migration.json")]);
    expect(live.code, live.stderr).toBe(0);
    expect(live.stdout).toContain("  code        register web-classification-agent:1\n");
    expect(live.stdout).toContain("  wait        11 minutes from the last grant\n");
    expect(live.stdout).toContain("  traffic     before: blue 100%; after: blue 0%, green 100%; deletes blue\n");
    const none = await runBin(["plan", MIGRATE, "--scenario", sample("scenarios", "agent.json")]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain("  PROBLEM     NothingToMigrate: no deployment of endpoint web-classify serves live traffic on the prompt flow runtime\n");
  });
});

describe("a migration whose parity inputs come from a datastore file, through flowdeploy local", () => {
  it("reads the six inputs from workspaceblobstore and migrates as with them inline: 6 of 6, exit 0", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "flowdeploy-migrate-file-"));
    dirs.push(stateDir);
    const request = sample("agents", "migrate-from-file.request.json");
    const run = await runBin(["local", "--json", "--request", request, "--scenario", sample("scenarios", "migration.json"), "--state-dir", stateDir]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
    const n = lines.at(-1) as DeploymentNotification;
    expect(n.requestId).toBe("web-classification-migrate-file-001");
    const state = JSON.parse(readFileSync(join(stateDir, "simulator-state.json"), "utf8")) as State;
    check({ ...CASES[1]!, request }, n, state);
    const notes = lines.filter((l) => l.type === "stage").map((l) => `${l.stage} ${l.event}${l.note ? ` — ${l.note}` : ""}`);
    expect(notes).toContain("parity succeeded — 6 of 6 cases match blue (100%; at least 100% needed)");
    // The datastore from ARM, then the file from Blob storage (its size, then its content), once each.
    const log = state["requestLog"] as { operation: string; status: number }[];
    expect(log.filter((r) => /^(datastores|blobs)\./.test(r.operation)).map((r) => `${r.operation} ${r.status}`)).toEqual(["datastores.get 200", "blobs.getProperties 200", "blobs.download 200"]);
  });

  it("a missing file fails stage parity (ParityInputsNotFound): no parity report, the agent removed, the prompt flow at 100%", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "flowdeploy-migrate-nofile-"));
    dirs.push(stateDir);
    // migration-divergent.json has no datastore files.
    const run = await runBin(["local", "--json", "--request", sample("agents", "migrate-from-file.request.json"), "--scenario", sample("scenarios", "migration-divergent.json"), "--state-dir", stateDir]);
    expect(run.code, run.stderr).toBe(1);
    const n = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as DeploymentNotification;
    expect(n.outcome).toBe("Failed");
    expect(n.error).toMatchObject({ stage: "parity", code: "ParityInputsNotFound", message: expect.stringMatching(/^parity\.inputsFile azureml:\/\/datastores\/workspaceblobstore\/paths\/parity\/web-classification\.jsonl: no such blob in storage account st[0-9a-f]{10} \(BlobNotFound\)$/) });
    expect(n.parity).toBeUndefined();
    expect(n.traffic).toEqual({ blue: 100 });
    const state = JSON.parse(readFileSync(join(stateDir, "simulator-state.json"), "utf8")) as State;
    const log = state["requestLog"] as { method: string; path: string; operation: string }[];
    expect(log.filter((r) => r.method === "DELETE").map((r) => r.path.split("/").pop())).toEqual(["green"]);
    // Get Blob Properties answered 404: nothing downloaded.
    expect(log.filter((r) => /^blobs\./.test(r.operation)).map((r) => r.operation)).toEqual(["blobs.getProperties"]);
  });
});
