import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeploymentNotification } from "../../src/contracts";
import { runLocalDeployment } from "../../src/local/localRun";
import type { ScenarioInput } from "../../src/local/simulator";
import { repoRoot, sampleRequest } from "../support/samples";
import { recordStack, sideEffects } from "./support/deploy";
import { recordArtifact, recordStateDirectory, scanForLeaksAfterAll } from "./support/leaks";
import { reportRow } from "./support/report";

/**
 * Promise 3: crashes lose nothing. `flowdeploy local --json --state-dir DIR --time-scale 1200` (a real
 * child process: simulator, broker, runner and the app's functions) is killed with SIGKILL right after
 * each stage boundary it prints, and in the middle of each long wait; a new local stack (runner,
 * simulator, broker, virtual clock) is then started on the same DIR — in this process, which is what
 * `flowdeploy local --state-dir DIR` does, minus a second process start — and the request sent again.
 * Every run must end exactly as an uninterrupted run of the same scenario does, with no side effect
 * repeated: counted in DIR/simulator-state.json's request log (role assignments created, model
 * versions and deployments PUT, endpoint PUTs) and its resources.
 * (test/cli/local.test.ts resumes a killed run through the CLI: the "deployment started" case.)
 */
scanForLeaksAfterAll();

const BIN = join(repoRoot, "bin", "flowdeploy.cjs");
/** 1200 simulated seconds per real second: the 18-minute deployment takes ~1 s (kills at a boundary need no more). */
const TIME_SCALE = 1200;
/**
 * Mid-wait kills run ten times slower: the half of a wait before the kill is then ≥ 2 s of real time
 * (at 1200 it was 0.25 s, which a loaded 2-core machine overran, landing the kill after the next line).
 */
const MID_WAIT_TIME_SCALE = 120;

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "flowdeploy-crash-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Scenarios that stretch one wait so that its middle (≥ 2 s of real time at MID_WAIT_TIME_SCALE) is wide enough to kill in. */
const SCENARIOS = {
  default: {},
  /** Endpoint creation takes 10 minutes instead of 90 s. */
  slowEndpoint: { latency: { endpointSeconds: 600 } },
  /** The deployment is ready after 5 minutes: 11 minutes of pure propagation wait follow. */
  fastDeployment: { latency: { deploymentSeconds: 300 } },
  /** The traffic update takes 10 minutes instead of 30 s. */
  slowTraffic: { latency: { trafficUpdateSeconds: 600 } },
  /** Permissions take 24 minutes: the smoke test is retried every 60 s for 8 minutes. */
  slowPropagation: { latency: { propagationSeconds: 24 * 60 } },
} satisfies Record<string, ScenarioInput>;
type ScenarioName = keyof typeof SCENARIOS;

interface KillPoint {
  label: string;
  stage: string;
  event: "started" | "succeeded";
  /** Simulated seconds after that line (0: at once). A mid-wait kill must land before the next line. */
  after?: number;
  scenario?: ScenarioName;
}

const BOUNDARIES: [string, "started" | "succeeded"][] = [
  ["endpoint", "started"],
  ["roles", "started"],
  ["endpoint", "succeeded"],
  ["roles", "succeeded"],
  ["propagation", "started"],
  ["model", "started"],
  ["model", "succeeded"],
  ["deployment", "started"],
  ["deployment", "succeeded"],
  ["propagation", "succeeded"],
  ["smokeTest", "started"],
  ["smokeTest", "succeeded"],
  ["traffic", "started"],
  ["traffic", "succeeded"],
];

const KILL_POINTS: KillPoint[] = [
  ...BOUNDARIES.map(([stage, event]): KillPoint => ({ label: `after "${stage} ${event}"`, stage, event })),
  { label: "mid endpoint provisioning (+5 of 10 min)", stage: "endpoint", event: "started", after: 300, scenario: "slowEndpoint" },
  { label: "mid deployment poll, propagation wait running (+6 of 12 min)", stage: "deployment", event: "started", after: 360 },
  { label: "mid propagation wait, deployment ready (+5 of 11 min)", stage: "deployment", event: "succeeded", after: 300, scenario: "fastDeployment" },
  { label: "mid smoke-test retry wait (+4 of 8 min of retries)", stage: "smokeTest", event: "started", after: 240, scenario: "slowPropagation" },
  { label: "mid traffic update (+5 of 10 min)", stage: "traffic", event: "started", after: 300, scenario: "slowTraffic" },
];

/** Killed children at once (each a whole stack; more on 2 cores blurs where a kill lands). */
const PARALLEL = 3;
function semaphore(slots: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= slots) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
const childSlot = semaphore(PARALLEL);
/** The app's services are process-wide: one in-process stack at a time. */
const stackSlot = semaphore(1);

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);

function scenarioFile(name: ScenarioName): string[] {
  if (name === "default") return [];
  const file = join(tempDir(), `${name}.json`);
  writeFileSync(file, JSON.stringify(SCENARIOS[name]));
  return ["--scenario", file];
}

interface Killed {
  stdout: string;
  signal: NodeJS.Signals | null;
  /** The last stage line the child printed before it died. */
  lastLine: Record<string, any> | undefined;
}

/** Starts a scaled-time run and SIGKILLs it `after` simulated seconds after the given stage line. */
function runAndKill(dir: string, point: KillPoint): Promise<Killed> {
  const scale = point.after ? MID_WAIT_TIME_SCALE : TIME_SCALE;
  const child = spawn(process.execPath, [BIN, "local", "--json", "--time-scale", String(scale), "--state-dir", dir, ...scenarioFile(point.scenario ?? "default")], { cwd: repoRoot });
  const trigger = `"stage":"${point.stage}","event":"${point.event}"`;
  let stdout = "";
  let armed = false;
  child.stdout.on("data", (c) => {
    stdout += String(c);
    if (armed || !stdout.includes(trigger)) return;
    armed = true;
    if (point.after) setTimeout(() => child.kill("SIGKILL"), (point.after * 1000) / scale);
    else child.kill("SIGKILL");
  });
  child.stderr.on("data", (c) => recordArtifact(`killed run ${point.label}: stderr`, String(c)));
  return new Promise((resolve) => child.on("close", (_code, signal) => resolve({ stdout, signal, lastLine: jsonLines(stdout).at(-1) })));
}

interface Outcome {
  notification: DeploymentNotification;
  effects: ReturnType<typeof sideEffects>;
  roleAssignments: number;
  modelVersions: number;
  deployments: string[];
}

/**
 * Starts the local stack on `dir` in this process and sends the sample request: an uninterrupted run
 * on a fresh directory, a resumed one on a killed run's directory.
 */
async function runInProcess(dir: string, scenario: ScenarioName, label: string): Promise<Outcome> {
  return stackSlot(async () => {
    const logs: string[] = [];
    const result = await runLocalDeployment({ request: sampleRequest(), stateDir: dir, scenario: SCENARIOS[scenario], log: (l) => logs.push(l) });
    try {
      recordStack(result.stack, label);
      recordArtifact(`${label}: logs`, logs.join("\n"));
      recordArtifact(`${label}: notification`, result.notification);
    } finally {
      await result.stack.close();
    }
    const sim = JSON.parse(readFileSync(join(dir, "simulator-state.json"), "utf8")) as {
      requestLog: { operation: string; status: number }[];
      /** Resources by ARM id. */
      roleAssignments: Record<string, unknown>;
      modelVersions: Record<string, unknown>;
      deployments: Record<string, unknown>;
    };
    recordStateDirectory(dir, label);
    return {
      notification: result.notification,
      effects: sideEffects(sim.requestLog),
      roleAssignments: Object.keys(sim.roleAssignments).length,
      modelVersions: Object.keys(sim.modelVersions).length,
      deployments: Object.keys(sim.deployments).map((id) => id.split("/").pop()!).sort(),
    };
  });
}

/** What must be identical to an uninterrupted run (times differ; the scoring URI's port too). */
const comparable = (o: Outcome) => ({
  outcome: o.notification.outcome,
  error: o.notification.error,
  traffic: o.notification.traffic,
  model: o.notification.model,
  deployment: o.notification.deployment,
  stages: o.notification.stages.map((s) => `${s.name}:${s.outcome}`),
  roleAssignmentsCreated: o.effects.roleAssignmentsCreated,
  modelVersionPuts: o.effects.modelVersionPuts,
  deploymentPuts: o.effects.deploymentPuts,
  endpointPuts: o.effects.endpointPuts,
  roleAssignments: o.roleAssignments,
  modelVersions: o.modelVersions,
  deployments: o.deployments,
});

const baselines = new Map<ScenarioName, Outcome>();
beforeAll(async () => {
  for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
    const outcome = await runInProcess(tempDir(), name, `uninterrupted ${name}`);
    expect(outcome.notification.outcome).toBe("Succeeded");
    baselines.set(name, outcome);
    reportRow("crash-baseline", { scenario: name, ...comparable(outcome), roleAssignmentPuts: outcome.effects.roleAssignmentPuts });
  }
}, 60_000);


describe("crashes lose nothing: SIGKILL at every stage boundary and mid-wait, then resume", () => {
  it.concurrent.each(KILL_POINTS)(
    "$label",
    async (point) => {
      // One attempt: a mid-wait kill has seconds of margin (MID_WAIT_TIME_SCALE), so landing late is a failure, not a retry.
      const dir = tempDir();
      const killed = await childSlot(() => runAndKill(dir, point));
      recordArtifact(`killed run ${point.label}: stdout`, killed.stdout);

      const scenario = point.scenario ?? "default";
      const after = await runInProcess(dir, scenario, `resumed ${point.label}`);
      const baseline = baselines.get(scenario)!;
      reportRow("crash", {
        label: point.label,
        scenario,
        killed: killed.signal === "SIGKILL",
        lastLineBeforeKill: killed.lastLine ? `${killed.lastLine["stage"]} ${killed.lastLine["event"]}` : null,
        outcome: after.notification.outcome,
        sameAsUninterrupted: JSON.stringify(comparable(after)) === JSON.stringify(comparable(baseline)),
        roleAssignmentsCreated: after.effects.roleAssignmentsCreated,
        roleAssignmentPuts: after.effects.roleAssignmentPuts,
        modelVersionPuts: after.effects.modelVersionPuts,
        deploymentPuts: after.effects.deploymentPuts,
        endpointPuts: after.effects.endpointPuts,
      });

      // It really died mid-run, before publishing its outcome, where it was meant to.
      expect(killed.signal).toBe("SIGKILL");
      expect(killed.stdout).not.toContain('"type":"notification"');
      expect(killed.stdout).toContain(`"stage":"${point.stage}","event":"${point.event}"`);
      if (point.after) expect(killed.lastLine, "the kill landed inside the wait").toMatchObject({ stage: point.stage, event: point.event });

      expect(comparable(after)).toEqual(comparable(baseline));
      // A role assignment re-PUT under its deterministic name answers 200 and creates nothing; it can
      // happen only when the kill lands between the PUT and the activity's recorded completion.
      expect(after.effects.roleAssignmentPuts).toBeLessThanOrEqual(baseline.effects.roleAssignmentPuts + 1);
    },
    90_000,
  );
});
