import { resolve } from "node:path";
import { rmSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { Option } from "commander";
import type { DeploymentNotification } from "../../contracts/notification";
import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import { ConfigError, parseConfig } from "../../config";
import { localIntakePolicy, type IntakePolicy } from "../../intake/policy";
import type { RegisterCommand } from "../command";
import { readInputText } from "../readInput";
import { checkStateDir } from "../stateDir";
import { formatIssues } from "../../contracts/issues";
import { MAX_MESSAGE_BYTES, parseJsonText } from "../../contracts/parse";

/** The bundled sample: the web-classification flow deployed to a new endpoint. */
export const SAMPLE_REQUEST = join(__dirname, "..", "..", "..", "samples", "deploy-request.json");

interface LocalFlags {
  request?: string;
  event?: string;
  scenario?: string;
  stateDir?: string;
  trace?: string;
  json?: boolean;
  timeScale?: string;
  approve?: boolean;
  reject?: string;
  reason?: string;
}

export const registerLocalCommand: RegisterCommand = (program, io, setExitCode) => {
  program
    .command("local")
    .description("run one deployment end to end, offline: local simulator, broker and durable runner")
    .addOption(new Option("--request <FILE>", "a deploy request (default: the bundled web-classification sample)").conflicts("event"))
    .addOption(new Option("--event <FILE>", "an Event Grid event (either envelope) instead of a request"))
    .option("--scenario <FILE>", "a simulator scenario (latencies, existing endpoints, faults)")
    .option("--state-dir <DIR>", "keep runner history and simulator state here; a killed run resumes from it")
    .option("--json", "print JSON lines only: stage events and the final notification")
    .option("--trace <FILE>", "append every span (intake, activities, Azure SDK calls) to FILE as JSON lines (docs/tracing.md)")
    .option("--time-scale <N>", "scaled real time (N simulated seconds per real second) instead of the virtual clock")
    .addOption(new Option("--approve", "answer a rollout.approval wait with an approval, as the local operator").conflicts("reject"))
    .addOption(new Option("--reject <REASON>", "answer a rollout.approval wait with a rejection and this reason"))
    .option("--reason <TEXT>", "with --approve: the approval's reason")
    .action(async (flags: LocalFlags) => setExitCode(await runLocalCommand(flags, io)));
};

/**
 * The app's settings as the Function App reads them from the environment (local defaults where
 * unset): intake policy and the activities' adoption rule. A bad setting is a usage error.
 */
export function settingsFromEnvironment(env: Record<string, string | undefined> = process.env): { policy: IntakePolicy; adoptEndpoints: boolean; servingImage: string | undefined } {
  try {
    const config = parseConfig(env);
    return { policy: localIntakePolicy(env), adoptEndpoints: config.adoptEndpoints, servingImage: config.servingImage };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export async function runLocalCommand(flags: LocalFlags, io: CliIO): Promise<number> {
  const timeScale = flags.timeScale === undefined ? undefined : Number(flags.timeScale);
  if (timeScale !== undefined && !(timeScale > 0 && Number.isFinite(timeScale))) throw new UsageError(`--time-scale must be a positive number, got ${flags.timeScale}`);
  const inputFile = flags.event ?? flags.request ?? SAMPLE_REQUEST;
  // The same reading as the queue trigger's (a byte-order mark dropped, the 256 KB message limit).
  const text = await readInputText(inputFile, io.stdin);
  const parsedInput = parseJsonText(text);
  if (!parsedInput.ok && Buffer.byteLength(text) > MAX_MESSAGE_BYTES) {
    for (const line of formatIssues(parsedInput.issues)) writeLine(io.stderr, `Rejected: ${line} (the queue, the HTTP starter and Event Grid refuse it too)`);
    return ExitCode.failure;
  }
  if (flags.reason !== undefined && !flags.approve) throw new UsageError("--reason goes with --approve (--reject takes its reason as its value)");
  if (flags.reject !== undefined && flags.reject.trim() === "") throw new UsageError("--reject needs a reason: it becomes the Failed notification's message");
  const approval = flags.approve ? { decision: "approved" as const, ...(flags.reason ? { reason: flags.reason } : {}) } : flags.reject !== undefined ? { decision: "rejected" as const, reason: flags.reject } : undefined;
  const input = parsedInput.ok ? parsedInput.value : text;
  const scenario = flags.scenario ? (loadScenario(flags.scenario) as never) : undefined;
  const stateNote = checkStateDir(flags.stateDir, flags.scenario !== undefined);
  if (stateNote) writeLine(io.stderr, stateNote);

  const { runLocalDeployment, LocalInputIgnored } = require("../../local/localRun") as typeof import("../../local/localRun");
  const live = !flags.json && (io.stdout as { isTTY?: boolean }).isTTY === true ? liveDisplay(io) : undefined;
  const say = (line: string) => {
    if (flags.json) return;
    live?.clear();
    writeLine(io.stdout, line);
  };
  say(`flowdeploy local: ${flags.event ? "delivering event" : "enqueueing request"} ${shownPath(inputFile)}${flags.stateDir ? ` (state in ${flags.stateDir})` : ""}`);
  if (flags.trace) startTraceFile(flags.trace);
  let result: Awaited<ReturnType<typeof runLocalDeployment>>;
  try {
    result = await runLocalDeployment({
    ...(flags.event ? { event: input } : { request: input }),
    ...settingsFromEnvironment(),
    scenario,
    stateDir: flags.stateDir,
    timeScale,
    ...(approval ? { approval } : {}),
    onProgress: (p) => {
      if (flags.json) writeLine(io.stdout, JSON.stringify(p));
      else say(`  ${p.at.slice(11, 19)}  ${p.stage.padEnd(12)} ${p.event}${p.seconds !== undefined ? ` (${formatSeconds(p.seconds)})` : ""}${p.note ? ` — ${p.note}` : ""}`);
      live?.stage(p.event === "started" ? p.stage : undefined);
    },
    onStarted: (stack) => live?.start(() => stack.clock.now()),
    });
  } catch (err) {
    live?.stop();
    if (!(err instanceof LocalInputIgnored)) throw err;
    // Nothing to wait for: the trigger ignores this input, so no notification will ever come.
    if (flags.json) writeLine(io.stdout, JSON.stringify({ type: "ignored", reason: err.reason }));
    else say(`Ignored: ${err.reason}`);
    await err.stack_.close();
    if (!flags.stateDir) rmSync(err.stack_.sim.caCertFile, { force: true });
    return ExitCode.ok;
  }
  live?.stop();
  try {
    const n = result.notification;
    if (flags.json) {
      writeLine(io.stdout, JSON.stringify({ type: "notification", ...n }));
    } else {
      say(summary(n));
      for (const warning of n.warnings ?? []) say(`  warning: ${warning}`);
      if (flags.trace && result.traceId) say(`  trace ${result.traceId}: its spans are in ${flags.trace}`);
      say(`  simulated ${formatSeconds(result.simulatedSeconds)} in ${(result.wallMs / 1000).toFixed(1)} s of wall time`);
      say(JSON.stringify(n, null, 2));
    }
    return n.outcome === "Succeeded" ? ExitCode.ok : ExitCode.failure;
  } finally {
    await result.stack.close();
    if (!flags.stateDir) rmSync(result.stack.sim.caCertFile, { force: true });
  }
}

/**
 * On a terminal, one status line under the stage lines that follows the simulated clock (useful with
 * --time-scale, where a deployment takes minutes of real time).
 */
function liveDisplay(io: CliIO) {
  let timer: NodeJS.Timeout | undefined;
  let current = "starting";
  let now: () => Date = () => new Date();
  const draw = () => io.stdout.write(`\r\x1b[2K  … ${current} — simulated ${now().toISOString().slice(11, 19)}`);
  return {
    start(clock: () => Date) {
      now = clock;
      timer = setInterval(draw, 200);
      timer.unref();
    },
    stage(name: string | undefined) {
      if (name) current = name;
    },
    clear() {
      if (timer) io.stdout.write("\r\x1b[2K");
    },
    stop() {
      if (timer) clearInterval(timer);
      if (timer) io.stdout.write("\r\x1b[2K");
      timer = undefined;
    },
  };
}

/** The bundled sample as the README shows it, relative to the working directory when it is below it; any other input as given. */
function shownPath(file: string): string {
  if (file !== SAMPLE_REQUEST) return file;
  const rel = relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

/** JSON if it parses; otherwise the raw text, which the trigger will reject (and say so). */
function loadScenario(file: string): unknown {
  const { loadScenarioFile } = require("../../local/simulator") as typeof import("../../local/simulator");
  const parsed = loadScenarioFile(file);
  if (!parsed.ok) throw new UsageError(`invalid scenario ${file}:\n  ${parsed.errors.join("\n  ")}`);
  return parsed.value;
}

function summary(n: DeploymentNotification): string {
  const where = `${n.endpoint?.name ?? "?"}/${n.deployment?.name ?? "?"}`;
  if (n.outcome === "Succeeded") return `Succeeded: ${where} serves ${n.traffic[n.deployment?.name ?? ""] ?? 0}% of traffic at ${n.endpoint?.scoringUri ?? "?"}`;
  return `${n.outcome}: ${where} — ${n.error?.stage}/${n.error?.code}: ${n.error?.message}`;
}

export function formatSeconds(s: number): string {
  const m = Math.floor(s / 60);
  const sec = Math.round(s - m * 60);
  return m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

/** Spans to FILE as JSON lines, from here on (loaded only when asked for). */
function startTraceFile(file: string): void {
  const { traceToFile } = require("../../tracing/fileExporter") as typeof import("../../tracing/fileExporter");
  traceToFile(resolve(file));
}
