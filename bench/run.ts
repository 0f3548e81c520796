/**
 * `npm run bench [-- --quick] [-- --only=timeToTraffic,perDeployment,pollPolicy,load,canary]`
 *
 * Benchmarks flowdeploy on the local stand-ins (local durable runner, ARM simulator, AMQP broker; a
 * virtual clock): time to live traffic against its lower bound and the portal's sequential order,
 * overhead per deployment, load through the broker, and the poll policy trade-off. Prints tables,
 * writes bench/results/latest.json (and bench/results/<mode>.json). Exit code 1 when a correctness
 * check fails (a deployment did not succeed, serialization was violated, a load run crashed); a
 * missed performance target is reported, not an error. See docs/benchmarks.md.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { DEFAULT_POLL_POLICIES } from "../src/contracts/orchestration";
import { CANARY_STEPS, measureCanary } from "./canary";
import type { LoadResult } from "./load";
import { deployViaQueue, median, round, type DeploymentRun } from "./measure";
import { runPolicyTradeoff, type PolicyRow } from "./policy";
import { LATENCY_MIXES, mixNamed, policyWaitSeconds, referenceTimes, repoRoot } from "./scenarios";

const SECTIONS = ["timeToTraffic", "perDeployment", "pollPolicy", "load", "canary"] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  quick: boolean;
  sections: Set<Section>;
}

function parseArgs(argv: string[]): Args {
  let quick = false;
  let sections = new Set<Section>(SECTIONS);
  for (const arg of argv) {
    if (arg === "--quick") quick = true;
    else if (arg.startsWith("--only=")) {
      const names = arg.slice("--only=".length).split(",");
      for (const n of names) if (!SECTIONS.includes(n as Section)) usage(`unknown section ${n}`);
      sections = new Set(names as Section[]);
    } else if (arg === "--help" || arg === "-h") usage();
    else usage(`unknown argument ${arg}`);
  }
  return { quick, sections };
}

function usage(problem?: string): never {
  if (problem) console.error(`bench: ${problem}`);
  console.error(`usage: npm run bench [-- --quick] [-- --only=${SECTIONS.join(",")}]`);
  process.exit(2);
}

/** Targets of issue 8 (docs/benchmarks.md says how each is measured). */
const TARGETS = {
  /** Time to live traffic at most one poll interval above the (policy) lower bound: the deployment poll interval. */
  pollIntervalSeconds: DEFAULT_POLL_POLICIES.deployment.intervalSeconds,
  belowSequentialPercent: 40,
  armCalls: 40,
  historyEvents: 150,
  maxActivityMs: 1000,
  loadRequests: 200,
  loadWallSeconds: 30,
  loadPeakRssMb: 512,
  /** log-log slope of wall time over requests, 50 → 400: 1 is linear, 2 quadratic. */
  growthExponent: 1.3,
};

interface TargetResult {
  target: string;
  scope: string;
  measured: number;
  limit: number;
  unit: string;
  met: boolean;
}

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

const targets: TargetResult[] = [];
const checks: Check[] = [];
const target = (t: string, scope: string, measured: number, op: "<=" | ">=" | "<", limit: number, unit: string) =>
  targets.push({ target: `${t} ${op} ${limit} ${unit}`, scope, measured, limit, unit, met: op === "<=" ? measured <= limit : op === ">=" ? measured >= limit : measured < limit });
const check = (name: string, ok: boolean, detail = "") => checks.push({ check: name, ok, detail });

// ---------------------------------------------------------------------------------------------

interface TimeToTrafficRow {
  mix: string;
  description: string;
  seconds: number;
  trafficStageEndSeconds: number;
  lowerBoundSeconds: number;
  lowerBoundAzureSeconds: number;
  sequentialSeconds: number;
  sequentialAzureSeconds: number;
  overBoundSeconds: number;
  overAzureBoundSeconds: number;
  belowSequentialPercent: number;
  belowSequentialAzurePercent: number;
  endpointDetectionLateSeconds: number;
  deploymentDetectionLateSeconds: number;
  stages: Record<string, [number, number]>;
  armCalls: number;
  historyEvents: number;
  replays: number;
  wallMs: number;
  maxActivityMs: number;
}

async function timeToTraffic(): Promise<{ rows: TimeToTrafficRow[]; runs: DeploymentRun[] }> {
  const rows: TimeToTrafficRow[] = [];
  const runs: DeploymentRun[] = [];
  for (const mix of LATENCY_MIXES) {
    const run = await deployViaQueue(mix);
    runs.push(run);
    check(`timeToTraffic ${mix.name}: deployment Succeeded`, run.outcome === "Succeeded", run.outcome);
    const ref = referenceTimes(mix);
    const pct = (seq: number) => (seq > 0 ? round((1 - run.timeToTrafficSeconds / seq) * 100, 1) : 0);
    rows.push({
      mix: mix.name,
      description: mix.description,
      seconds: run.timeToTrafficSeconds,
      trafficStageEndSeconds: run.trafficStageEndSeconds,
      ...ref,
      overBoundSeconds: run.timeToTrafficSeconds - ref.lowerBoundSeconds,
      overAzureBoundSeconds: run.timeToTrafficSeconds - ref.lowerBoundAzureSeconds,
      belowSequentialPercent: pct(ref.sequentialSeconds),
      belowSequentialAzurePercent: pct(ref.sequentialAzureSeconds),
      endpointDetectionLateSeconds: run.endpointDetectionLateSeconds,
      deploymentDetectionLateSeconds: run.deploymentDetectionLateSeconds,
      stages: run.stages,
      armCalls: run.armCalls,
      historyEvents: run.historyEvents,
      replays: run.replays,
      wallMs: run.wallMs,
      maxActivityMs: run.maxActivityMs,
    });
    target("time to traffic − policy lower bound", mix.name, run.timeToTrafficSeconds - ref.lowerBoundSeconds, "<=", TARGETS.pollIntervalSeconds, "s");
    if (mix.name === "default") {
      target("below the sequential order (policy wait)", mix.name, pct(ref.sequentialSeconds), ">=", TARGETS.belowSequentialPercent, "%");
      target("below the sequential order (Azure propagation)", mix.name, pct(ref.sequentialAzureSeconds), ">=", TARGETS.belowSequentialPercent, "%");
    }
    target("ARM calls per deployment", mix.name, run.armCalls, "<=", TARGETS.armCalls, "calls");
    target("history events per deployment", mix.name, run.historyEvents, "<=", TARGETS.historyEvents, "events");
  }
  return { rows, runs };
}

// ---------------------------------------------------------------------------------------------

interface PerDeployment {
  mix: string;
  runs: number;
  armCalls: number;
  armCallsByOperation: Record<string, number>;
  scoringCalls: number;
  historyEvents: number;
  replays: number;
  replayedEvents: number;
  replayCpuMs: number;
  /** Median over the runs (the first run of the process excluded: module loading, JIT, TLS). */
  wallMs: number;
  wallMsMin: number;
  wallMsMax: number;
  activityCalls: number;
  activityBusyMs: number;
  maxActivityMs: number;
  slowestActivity: string;
  activityBusyMsByName: Record<string, number>;
  timersFired: number;
}

async function perDeployment(quick: boolean, warmedUp: boolean): Promise<{ summary: PerDeployment; runs: DeploymentRun[] }> {
  const mix = mixNamed("default");
  if (!warmedUp) await deployViaQueue(mix);
  const runs: DeploymentRun[] = [];
  for (let i = 0; i < (quick ? 3 : 9); i++) runs.push(await deployViaQueue(mix));
  for (const r of runs) check("perDeployment: deployment Succeeded", r.outcome === "Succeeded", r.outcome);
  const mid = [...runs].sort((a, b) => a.wallMs - b.wallMs)[runs.length >> 1]!;
  const summary: PerDeployment = {
    mix: mix.name,
    runs: runs.length,
    armCalls: mid.armCalls,
    armCallsByOperation: mid.armCallsByOperation,
    scoringCalls: mid.scoringCalls,
    historyEvents: mid.historyEvents,
    replays: mid.replays,
    replayedEvents: mid.replayedEvents,
    replayCpuMs: round(median(runs.map((r) => r.replayCpuMs)), 1),
    wallMs: median(runs.map((r) => r.wallMs)),
    wallMsMin: Math.min(...runs.map((r) => r.wallMs)),
    wallMsMax: Math.max(...runs.map((r) => r.wallMs)),
    activityCalls: mid.activityCalls,
    activityBusyMs: round(median(runs.map((r) => r.activityBusyMs)), 1),
    maxActivityMs: Math.max(...runs.map((r) => r.maxActivityMs)),
    slowestActivity: runs.reduce((a, r) => (r.maxActivityMs > a.maxActivityMs ? r : a)).slowestActivity,
    activityBusyMsByName: mid.activityBusyMsByName,
    timersFired: mid.timersFired,
  };
  const counts = new Set(runs.map((r) => `${r.armCalls}/${r.historyEvents}/${r.replays}`));
  check("perDeployment: ARM calls, history events and replays identical across runs", counts.size === 1, [...counts].join(", "));
  target("ARM calls per deployment", "perDeployment (default)", summary.armCalls, "<=", TARGETS.armCalls, "calls");
  target("history events per deployment", "perDeployment (default)", summary.historyEvents, "<=", TARGETS.historyEvents, "events");
  return { summary, runs };
}

// ---------------------------------------------------------------------------------------------

interface LoadRow extends LoadResult {
  /** Wall seconds of every repeat (the row shows the fastest). */
  wallSecondsRepeats: number[];
  /** Real ms of wall time per request. */
  wallMsPerRequest: number;
  /** wallSeconds relative to the previous size, and the size ratio. */
  growthFromPrevious: string;
}

function runLoadChild(requests: number, endpoints: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "load.ts"), String(requests), String(endpoints)], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("BENCH_LOAD "));
      if (code === 0 && line) resolve(JSON.parse(line.slice("BENCH_LOAD ".length)) as LoadResult);
      else reject(new Error(`load ${requests}/${endpoints} exited ${code}: ${err.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}

/** Requests per endpoint in the load runs: 200 requests across 50 endpoints, and the same depth at every size. */
const LOAD_DEPTH = 4;

async function load(quick: boolean): Promise<{ rows: LoadRow[]; growthExponent: number | null; growthExponentFit: number | null }> {
  const sizes = quick ? [50, 200] : [50, 100, 200, 400];
  // Wall time is real time on a shared machine: the full run repeats each size and keeps the fastest
  // (peak RSS: the highest of the repeats).
  const repeats = quick ? 1 : 2;
  const rows: LoadRow[] = [];
  for (const requests of sizes) {
    const endpoints = Math.ceil(requests / LOAD_DEPTH);
    const results: LoadResult[] = [];
    for (let i = 0; i < repeats; i++) {
      try {
        results.push(await runLoadChild(requests, endpoints));
      } catch (err) {
        check(`load ${requests}: run completed`, false, err instanceof Error ? err.message : String(err));
      }
    }
    if (!results.length) continue;
    const best = results.reduce((a, r) => (r.wallSeconds < a.wallSeconds ? r : a));
    const result: LoadResult = { ...best, peakRssMb: Math.max(...results.map((r) => r.peakRssMb)), sampledPeakRssMb: Math.max(...results.map((r) => r.sampledPeakRssMb)) };
    const prev = rows.at(-1);
    rows.push({
      ...result,
      wallSecondsRepeats: results.map((r) => r.wallSeconds),
      wallMsPerRequest: round((result.wallSeconds * 1000) / requests, 1),
      growthFromPrevious: prev ? `×${round(result.wallSeconds / prev.wallSeconds, 2)} for ×${round(requests / prev.requests, 2)}` : "",
    });
    for (const r of results) {
      check(`load ${requests}: all deployments Succeeded`, r.allSucceeded, r.problems.slice(0, 3).join("; "));
      check(`load ${requests}: per-endpoint serialization held`, r.serializationHeld);
      check(`load ${requests}: last deployment per endpoint serves 100%`, r.finalTrafficCorrect);
      check(`load ${requests}: no broker errors or dead letters`, r.broker.errors === 0 && r.broker.deadLettered === 0, JSON.stringify(r.broker));
      if (r.problems.length) check(`load ${requests}: no problems`, false, r.problems.slice(0, 5).join("; "));
    }
    target("max activity duration", `load ${requests}`, Math.max(...results.map((r) => r.runner.maxActivityMs)), "<=", TARGETS.maxActivityMs, "ms");
    if (requests === TARGETS.loadRequests) {
      target("load wall time", `load ${requests}/${endpoints}`, result.wallSeconds, "<", TARGETS.loadWallSeconds, "s");
      target("load peak RSS", `load ${requests}/${endpoints}`, result.peakRssMb, "<", TARGETS.loadPeakRssMb, "MB");
    }
  }
  // Wall ∝ requests^k: k from the two largest sizes (where an O(n²) term would show most), and a
  // least-squares fit over every size. Fixed costs (warm-up) make small sizes slower and k smaller.
  let growthExponent: number | null = null;
  let growthExponentFit: number | null = null;
  if (rows.length >= 2) {
    const [a, b] = rows.slice(-2) as [LoadRow, LoadRow];
    growthExponent = round(Math.log(b.wallSeconds / a.wallSeconds) / Math.log(b.requests / a.requests), 2);
    const xs = rows.map((r) => Math.log(r.requests));
    const ys = rows.map((r) => Math.log(r.wallSeconds));
    const mx = xs.reduce((p, x) => p + x, 0) / xs.length;
    const my = ys.reduce((p, y) => p + y, 0) / ys.length;
    growthExponentFit = round(xs.reduce((p, x, i) => p + (x - mx) * (ys[i]! - my), 0) / xs.reduce((p, x) => p + (x - mx) ** 2, 0), 2);
    target(`wall time growth exponent ${a.requests}→${b.requests}`, "load", growthExponent, "<=", TARGETS.growthExponent, "(1 = linear)");
  }
  return { rows, growthExponent, growthExponentFit };
}

// ---------------------------------------------------------------------------------------------

function table(title: string, headers: string[], rows: (string | number | null | undefined)[][]): void {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(`\n${title}`);
  console.log(line(cells[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of cells.slice(1)) console.log(line(r));
}

const UNITS: Record<string, string> = {
  "timeToTraffic[].seconds": "s, simulated: orchestration start → the simulator's traffic-update operation end (traffic routed to the new deployment)",
  "timeToTraffic[].trafficStageEndSeconds": "s, simulated: orchestration start → end of the traffic stage (the orchestrator saw the update finish)",
  "timeToTraffic[].lowerBoundSeconds": "s, simulated: max(endpoint + deployment, endpoint + grant + max(propagation, propagationMinutes×60)) + smoke test + traffic update",
  "timeToTraffic[].lowerBoundAzureSeconds": "s, simulated: the same with the simulator's propagationSeconds",
  "timeToTraffic[].sequentialSeconds": "s, simulated: endpoint + register + deploy + grant + wait (propagationMinutes×60) + test + traffic update",
  "timeToTraffic[].sequentialAzureSeconds": "s, simulated: the same with the simulator's propagationSeconds as the wait",
  "timeToTraffic[].overBoundSeconds": "s, simulated",
  "timeToTraffic[].belowSequentialPercent": "%",
  "timeToTraffic[].*DetectionLateSeconds": "s, simulated: stage end − the simulator's operation end",
  "timeToTraffic[].wallMs": "ms, real",
  "perDeployment.armCalls": "ARM requests (scoring excluded)",
  "perDeployment.historyEvents": "history events of the orchestration",
  "perDeployment.replays": "orchestrator episodes (each replays the history so far)",
  "perDeployment.replayedEvents": "history events replayed, summed over episodes",
  "perDeployment.replayCpuMs": "ms, real, inside orchestrator invocations",
  "perDeployment.wallMs": "ms, real, instance start → completion on the runner (median)",
  "perDeployment.activityBusyMs": "ms, real, sum of activity durations",
  "perDeployment.maxActivityMs": "ms, real, longest activity",
  "load[].wallSeconds": "s, real: first send → last notification received",
  "load[].peakRssMb": "MiB: getrusage maxrss of the load's own process",
  "load[].sampledPeakRssMb": "MiB: highest process.memoryUsage().rss sampled every 50 ms",
  "load[].simulatedSeconds": "s, simulated",
  "load[].runner.replayCpuMs": "ms, real",
  "load[].runner.activityBusyMs": "ms, real (activities overlap: up to 8 at once)",
  "load[].cpuSeconds": "s, process CPU (user + system)",
  "pollPolicy[].armCalls": "ARM requests per deployment, mean over the sweep",
  "pollPolicy[].historyEvents": "history events per deployment, mean over the sweep",
  "pollPolicy[].detectionLateSeconds": "s, simulated, mean over the sweep (…MaxSeconds: worst)",
  "pollPolicy[].overBoundSeconds": "s, simulated: time to traffic − policy lower bound, mean over the sweep",
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const mode = args.quick ? "quick" : "full";
  const benchStart = performance.now();
  const cpuList = cpus();
  const machine = {
    node: process.version,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? "unknown",
    platform: `${process.platform} ${process.arch}`,
    totalMemoryMb: Math.round(totalmem() / 2 ** 20),
    /** 1-minute load average when the bench started: other work on the machine skews real-time figures. */
    loadAverageAtStart: round(loadavg()[0] ?? 0, 2),
  };
  console.log(`flowdeploy bench (${mode}) — node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.platform}, load average ${machine.loadAverageAtStart}`);

  const results: Record<string, unknown> = { schemaVersion: 1, mode, generatedAt: new Date().toISOString(), machine, units: UNITS };
  const allRuns: DeploymentRun[] = [];

  if (args.sections.has("timeToTraffic")) {
    const { rows, runs } = await timeToTraffic();
    allRuns.push(...runs);
    results["timeToTraffic"] = rows;
    results["propagationWaitSeconds"] = { azure: mixNamed("default").propagationSeconds, policy: policyWaitSeconds() };
    table(
      "1. Time to live traffic (simulated seconds; bound = max(E+D, E+G+wait) + smoke + traffic; policy wait 960 s, Azure 900 s)",
      ["mix", "measured", "bound(policy)", "bound(Azure)", "over bound", "sequential(policy)", "sequential(Azure)", "below seq.", "endpoint late", "deploy late"],
      rows.map((r) => [
        r.mix,
        r.seconds,
        r.lowerBoundSeconds,
        r.lowerBoundAzureSeconds,
        `+${r.overBoundSeconds}`,
        r.sequentialSeconds,
        r.sequentialAzureSeconds,
        `${r.belowSequentialPercent}% / ${r.belowSequentialAzurePercent}%`,
        r.endpointDetectionLateSeconds,
        r.deploymentDetectionLateSeconds,
      ]),
    );
    table(
      "   per mix: overhead",
      ["mix", "ARM calls", "history events", "replays", "wall ms", "max activity ms"],
      rows.map((r) => [r.mix, r.armCalls, r.historyEvents, r.replays, r.wallMs, r.maxActivityMs]),
    );
  }

  if (args.sections.has("perDeployment")) {
    const { summary, runs } = await perDeployment(args.quick, args.sections.has("timeToTraffic"));
    allRuns.push(...runs);
    results["perDeployment"] = summary;
    table(
      `2. Overhead per deployment (default mix, ${summary.runs} runs; wall ms median, min–max)`,
      ["figure", "value"],
      [
        ["ARM calls", summary.armCalls],
        ...Object.entries(summary.armCallsByOperation).map(([k, v]) => [`  ${k}`, v]),
        ["scoring calls", summary.scoringCalls],
        ["history events", summary.historyEvents],
        ["replays (episodes)", summary.replays],
        ["replayed events", summary.replayedEvents],
        ["replay CPU ms", summary.replayCpuMs],
        ["wall ms", `${summary.wallMs} (${summary.wallMsMin}–${summary.wallMsMax})`],
        ["activity calls", summary.activityCalls],
        ["activity busy ms", summary.activityBusyMs],
        ["max activity ms", `${summary.maxActivityMs} (${summary.slowestActivity})`],
      ],
    );
  }

  if (allRuns.length) {
    const worst = allRuns.reduce((a, r) => (r.maxActivityMs > a.maxActivityMs ? r : a));
    target("max activity duration", "single deployments", worst.maxActivityMs, "<=", TARGETS.maxActivityMs, "ms");
  }

  if (args.sections.has("load")) {
    console.log("\n3. Load: running (one child process per size)…");
    const { rows, growthExponent, growthExponentFit } = await load(args.quick);
    results["load"] = rows;
    results["loadGrowth"] = { exponentLargestSizes: growthExponent, exponentFit: growthExponentFit };
    table(
      `3. Load: N deploy requests, ${LOAD_DEPTH} per endpoint (N/${LOAD_DEPTH} endpoints), enqueued at once through the broker`,
      ["requests", "endpoints", "wall s", "ms/request", "growth", "peak RSS MB", "replay CPU ms", "activity busy ms", "max activity ms", "history max", "simulated s", "CPU s", "ok"],
      rows.map((r) => [
        r.requests,
        r.endpoints,
        r.wallSeconds,
        r.wallMsPerRequest,
        r.growthFromPrevious,
        r.peakRssMb,
        r.runner.replayCpuMs,
        r.runner.activityBusyMs,
        r.runner.maxActivityMs,
        r.runner.historyEventsPerInstanceMax,
        r.simulatedSeconds,
        r.cpuSeconds,
        r.allSucceeded && r.serializationHeld && r.finalTrafficCorrect ? "yes" : "NO",
      ]),
    );
    if (growthExponent !== null) console.log(`   wall time ∝ requests^k: k = ${growthExponent} between the two largest sizes, ${growthExponentFit} fitted over all (1 = linear, 2 = quadratic)`);
  }

  if (args.sections.has("pollPolicy")) {
    console.log("\n4. Poll policy trade-off: running…");
    const rows: PolicyRow[] = await runPolicyTradeoff(args.quick);
    for (const r of rows) check(`pollPolicy ${r.mix} ${r.policy}: deployments Succeeded`, r.allSucceeded);
    results["pollPolicy"] = rows;
    table(
      "4. Poll policy trade-off (means over the sweep; lateness = detection − operation end; * = default policy)",
      ["mix / sweep", "policy", "ARM calls", "deploy polls", "endpoint polls", "history", "detect late (max)", "over bound (max)"],
      rows.map((r) => [
        `${r.mix} / ${r.sweep}`,
        `${r.isDefault ? "* " : ""}${r.policy}`,
        r.armCalls,
        r.deploymentPolls,
        r.endpointPolls,
        r.historyEvents,
        `${r.detectionLateSeconds} (${r.detectionLateMaxSeconds})`,
        `${r.overBoundSeconds} (${r.overBoundMaxSeconds})`,
      ]),
    );
  }

  if (args.sections.has("canary")) {
    const row = await measureCanary();
    check("canary: a healthy 3-step canary Succeeded with one analysis per step", row.outcome === "Succeeded" && row.analyses === CANARY_STEPS.length, `${row.outcome}, ${row.analyses} analyses`);
    results["canary"] = row;
    table(
      "5. Canary: time to full traffic against the sum of bake times (simulated s)",
      ["steps", "measured", "bound (sum of bakes)", "over bound", "per step", "ARM calls", "history events"],
      [[row.steps, row.timeToFullTrafficSeconds, row.boundSeconds, row.overBoundSeconds, row.overBoundPerStepSeconds, row.armCalls, row.historyEvents]],
    );
  }

  results["targets"] = targets;
  results["checks"] = checks;
  results["benchWallSeconds"] = round((performance.now() - benchStart) / 1000, 1);

  table(
    "Targets (missing one is reported, not an error)",
    ["target", "scope", "measured", "met"],
    targets.map((t) => [t.target, t.scope, t.measured, t.met ? "met" : "MISSED"]),
  );
  const failed = checks.filter((c) => !c.ok);
  console.log(`\nCorrectness checks: ${checks.length - failed.length}/${checks.length} passed`);
  for (const c of failed) console.log(`  FAILED ${c.check}${c.detail ? `: ${c.detail}` : ""}`);

  const dir = join(__dirname, "results");
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(dir, "latest.json"), json);
  writeFileSync(join(dir, `${mode}.json`), json);
  console.log(`\nwrote bench/results/latest.json and bench/results/${mode}.json (${results["benchWallSeconds"]} s)`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
