import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBin, runCli, type CliRun } from "../support/cli";
import { repoRoot } from "../support/samples";
import { extractExamples, parseCommand, serveWalkthrough, type DocExample, type ShellCommand } from "./markdownExamples";

/**
 * Every command example in README.md and docs/*.md that can run offline runs here through the real
 * bin (`node bin/flowdeploy.cjs`, as `npx flowdeploy` does), so the docs cannot drift from what the
 * commands do (issue 14).
 *
 * Examples are the lines of fenced `sh` blocks (continuations joined, split at `&&`) and inline code
 * spans written as a whole command (`npx flowdeploy …`, `npm run …`, optionally after `VAR=value`).
 * Each is classified by RULES below, first match wins; an example no rule covers fails the test, so
 * a new example is either run or skipped for a reviewed reason. What a doc says about an example is
 * asserted: `exit N` and `prints "X"` in its comment, a printed JSON line (`prints {"url":...}`,
 * `first stdout line: {...}`), and for inline spans `ends \`Outcome\` with \`text\`` in the sentence;
 * an example with no stated exit code must exit 0. Identical commands run once. The ```text block in
 * OUTPUT_BLOCKS is compared line by line with what its command prints.
 *
 * To see the test fail without touching the working tree, copy README.md and docs/ to a directory,
 * break an example there and run with FLOWDEPLOY_EXAMPLES_DOCS=<that directory> (the commands still
 * run in this repository).
 */

const docsRoot = process.env["FLOWDEPLOY_EXAMPLES_DOCS"] ?? repoRoot;

/**
 * Complete flowdeploy commands the docs show that cannot run offline (exact text, as extracted);
 * each must still appear in the docs. The README's `serve` walkthrough (`watch --once`, `enqueue
 * --connection-string "$SB"`, `status`, `list` and its curl lines) is not listed: it is run in order
 * against one `flowdeploy serve` by test/cli/serveWalkthrough.test.ts (rule "the serve walkthrough").
 */
const NOT_RUN: ReadonlyArray<{ command: string; reason: string }> = [
  { command: "id=$(npx flowdeploy enqueue samples/deploy-request.json)", reason: "sends to an Azure Service Bus namespace (ServiceBusConnection__fullyQualifiedNamespace, az login)" },
  { command: "id=$(npx flowdeploy enqueue request.json)", reason: "needs a Service Bus namespace with the script's own subscription" },
  { command: 'npx flowdeploy watch --subscription my-pipeline --request-id "$id" --once --json --timeout 3600 > outcome.json', reason: "needs a Service Bus namespace with the subscription my-pipeline" },
  { command: "flowdeploy watch", reason: "needs a Service Bus: the broker of a running `flowdeploy serve`, or Azure (the synopsis's flags are checked against --help)" },
  { command: "npx flowdeploy local --time-scale 60", reason: "scaled real time: one deployment takes about 20 s of wall time (the same run on the virtual clock is `npx flowdeploy local`, run here)" },
];

type Verdict =
  | { kind: "run"; args: string[] }
  | { kind: "service"; args: string[] }
  | { kind: "synopsis" }
  | { kind: "skip"; reason: string };

interface Rule {
  rule: string;
  applies: (ex: DocExample, cmd: ShellCommand, args: string[] | undefined) => boolean;
  verdict: (ex: DocExample, cmd: ShellCommand, args: string[] | undefined) => Verdict;
}

const skip = (reason: string) => () => ({ kind: "skip", reason }) as const;

/** The README walkthrough's lines that test/cli/serveWalkthrough.test.ts runs (`where text`). */
const walkthroughRun = new Set(
  serveWalkthrough("README.md", readFileSync(join(docsRoot, "README.md"), "utf8"))
    .filter((s) => !s.notRun)
    .map((s) => `${s.ex.where} ${s.ex.text}`),
);
const program = (cmd: ShellCommand) => (cmd.substituted ?? cmd).argv;

/** The reviewed rule list, first match wins. `args` are the flowdeploy arguments when the example runs flowdeploy. */
const RULES: readonly Rule[] = [
  { rule: "listed in NOT_RUN", applies: (ex) => NOT_RUN.some((n) => n.command === ex.text), verdict: (ex) => ({ kind: "skip", reason: NOT_RUN.find((n) => n.command === ex.text)!.reason }) },
  {
    rule: "the serve walkthrough",
    // Its `serve` line is run here too, as a service (its first stdout line checked).
    applies: (ex, _cmd, args) => args?.[0] !== "serve" && walkthroughRun.has(`${ex.where} ${ex.text}`),
    verdict: skip("run in order against one running `flowdeploy serve` by test/cli/serveWalkthrough.test.ts"),
  },
  { rule: "placeholder", applies: (ex) => /<[^>]+>|\bPORT\b/.test(ex.text), verdict: skip("holds a placeholder the reader fills in (<instanceId>, PORT, <... from that line>)") },
  { rule: "shell variable", applies: (_ex, cmd) => (cmd.argv.length === 0 && !cmd.substituted) || cmd.argv[0] === "export", verdict: skip("sets a shell variable for the lines after it") },
  { rule: "curl", applies: (_ex, cmd) => program(cmd)[0] === "curl", verdict: skip("an HTTP call to a running `flowdeploy serve` or Function App") },
  { rule: "Azure or Docker tools", applies: (_ex, cmd) => ["az", "azd", "docker", "func", "crane", "skopeo"].includes(program(cmd)[0] ?? ""), verdict: skip("needs Azure, Docker or Core Tools") },
  { rule: "npm ci", applies: (_ex, cmd) => isNpm(cmd, "ci"), verdict: skip("reinstalls node_modules: minutes, and the tests running alongside use them") },
  { rule: "the test suite", applies: (_ex, cmd) => isNpm(cmd, "test") || isNpmRun(cmd, "typecheck", "lint", "test:watch") || program(cmd).includes("vitest"), verdict: skip("the test suite or a part of it: this test runs inside it") },
  { rule: "writes the working tree", applies: (_ex, cmd) => isNpmRun(cmd, "build", "package", "schemas", "start", "watch", "clean", "prestart"), verdict: skip("builds or regenerates files in the working tree (dist/, .azure-package/: test/package/package.test.ts builds one; schemas/: test/unit/schemas.test.ts checks the schemas are current)") },
  { rule: "mutation testing", applies: (_ex, cmd) => isNpmRun(cmd, "mutate", "mutate:quick"), verdict: skip("mutation testing: minutes to hours of both cores, running the suite itself (docs/testing.md)") },
  { rule: "the suite under load", applies: (_ex, cmd) => program(cmd)[0] === "scripts/test-under-load.sh", verdict: skip("runs the whole suite three times beside busy loops: about an hour of both cores (docs/testing.md)") },
  { rule: "mutation score", applies: (_ex, cmd) => isNpmRun(cmd, "mutate:score"), verdict: skip("prints the committed mutation report's score: test/unit/mutationScore.test.ts checks docs/testing.md records exactly that") },
  { rule: "benchmark", applies: (_ex, cmd) => isNpmRun(cmd, "bench") || program(cmd).some((a) => a.startsWith("bench/")), verdict: skip("a benchmark: about 35 s to minutes of both cores (docs/benchmarks.md)") },
  { rule: "synopsis", applies: (ex) => isSynopsis(ex.text), verdict: () => ({ kind: "synopsis" }) },
  { rule: "service until SIGTERM", applies: (_ex, _cmd, args) => args !== undefined && ["serve", "simulator"].includes(args[0] ?? ""), verdict: (_ex, _cmd, args) => ({ kind: "service", args: args! }) },
  {
    rule: "offline command",
    applies: (_ex, _cmd, args) => args !== undefined && (["local", "validate", "schema", "plan", "--version", "-V", "--help", "help"].includes(args[0] ?? "") && !args.includes("--url")),
    verdict: (_ex, _cmd, args) => ({ kind: "run", args: args! }),
  },
];

/**
 * How an example is changed to run here, each for a reason:
 * - the reader's own files (`events.json`, `request.json`) are the bundled samples;
 * - `serve --port 7071` listens on port 0 instead (7071 may be taken on this machine), and the url it
 *   prints is checked for a port number instead of 7071;
 * - `.flowdeploy/...` state directories are fresh temporary directories (a first run, a clean tree).
 */
const READER_FILES: Readonly<Record<string, string>> = { "events.json": "samples/bulk-test-passed.event.json", "request.json": "samples/deploy-request.json" };

/** The ```text block of a doc that shows what a command prints. */
const OUTPUT_BLOCKS: ReadonlyArray<{ file: string; firstLine: string; args: string[] }> = [{ file: "README.md", firstLine: "flowdeploy local: enqueueing request", args: ["local"] }];

const OUTCOMES_EXIT_0 = new Set(["Succeeded", "Ignored", "accepted"]);

function isSynopsis(text: string): boolean {
  return /\[[^\]]*\]/.test(text) || /(^|\s)[A-Z][A-Z_]*(?=\s|$)/.test(text);
}

function isNpm(cmd: ShellCommand, sub: string): boolean {
  const [a, b] = program(cmd);
  return a === "npm" && b === sub;
}

function isNpmRun(cmd: ShellCommand, ...scripts: string[]): boolean {
  const [a, b, c] = program(cmd);
  return a === "npm" && b === "run" && scripts.includes(c ?? "");
}

const packageScripts = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** The flowdeploy arguments of an example, when it runs flowdeploy: `npx flowdeploy`, `flowdeploy`, or `npm run local` (package.json: `node bin/flowdeploy.cjs local`). */
function flowdeployArgs(cmd: ShellCommand): string[] | undefined {
  const argv = program(cmd);
  if (argv[0] === "npx" && argv[1] === "flowdeploy") return argv.slice(2);
  if (argv[0] === "flowdeploy") return argv.slice(1);
  if (isNpmRun(cmd, "local")) return ["local", ...argv.slice(3).filter((a) => a !== "--")];
  return undefined;
}

interface Expectation {
  exitCode: number | undefined;
  stdoutIncludes: string[];
  outputIncludes: string[];
  firstLine: Array<{ key: string; pattern: RegExp }>;
}

/** What the doc says about an example: its comment, or the rest of an inline span's sentence. */
function expectationOf(ex: DocExample, portRewritten: string | undefined): Expectation {
  const said = `${ex.comment} ${ex.prose}`;
  const expectation: Expectation = { exitCode: undefined, stdoutIncludes: [], outputIncludes: [], firstLine: [] };
  const exit = /\bexits? (\d)\b/.exec(said);
  if (exit) expectation.exitCode = Number(exit[1]);
  for (const m of ex.comment.matchAll(/\bprints "([^"]+)"/g)) expectation.stdoutIncludes.push(m[1]!);
  const json = /(?:\bprints|first stdout line:)\s*(\{.*?\})(?:[;|]|$)/.exec(ex.comment);
  if (json) {
    for (const pair of json[1]!.matchAll(/"(\w+)":"([^"]*)"/g)) {
      let pattern = escapeRegExp(pair[2]!).replace(/PORT/g, "\\d+").replace(/\\\.\\\.\\\.|…/g, ".*");
      if (portRewritten) pattern = pattern.replace(`:${portRewritten}`, ":\\d+");
      expectation.firstLine.push({ key: pair[1]!, pattern: new RegExp(`^${pattern}$`) });
    }
  }
  const ends = /\bends `(\w+)`/.exec(ex.prose);
  if (ends) {
    expectation.outputIncludes.push(ends[1]!);
    expectation.exitCode ??= OUTCOMES_EXIT_0.has(ends[1]!) ? 0 : 1;
  }
  for (const m of ex.prose.matchAll(/\bends `\w+` with `([^`]+)`/g)) expectation.outputIncludes.push(m[1]!);
  return expectation;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

interface Planned {
  key: string;
  kind: "run" | "service";
  args: string[];
  env: Record<string, string>;
  stdinFile: string | undefined;
  examples: DocExample[];
  expectation: Expectation;
  conflicts: string[];
}

interface Classified {
  ex: DocExample;
  rule: string;
  verdict: Verdict | { kind: "unclassified" };
}

const stateRoot = mkdtempSync(join(tmpdir(), "flowdeploy-doc-examples-"));

/** Applies the rewrites above to flowdeploy arguments; says which port was rewritten. */
function rewrite(args: string[]): { args: string[]; port: string | undefined } {
  let port: string | undefined;
  const out = args.map((a) => READER_FILES[a] ?? (a.startsWith(".flowdeploy/") ? join(stateRoot, a.slice(".flowdeploy/".length)) : a));
  const p = out.indexOf("--port");
  if (out[0] === "serve" && p >= 0 && out[p + 1] !== undefined && out[p + 1] !== "0") {
    port = out[p + 1];
    out[p + 1] = "0";
  }
  return { args: out, port };
}

function docFiles(): string[] {
  return ["README.md", ...readdirSync(join(docsRoot, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
}

/** Every example, with the synopses' forms without their optional parts added after them. */
function allExamples(): DocExample[] {
  const out: DocExample[] = [];
  for (const file of docFiles()) {
    for (const ex of extractExamples(file, readFileSync(join(docsRoot, file), "utf8"))) {
      out.push(ex);
      if (isSynopsis(ex.text)) {
        const bare = ex.text.replace(/\s*\[[^\]]*\]/g, "").trim();
        if (bare !== ex.text && !isSynopsis(bare)) out.push({ ...ex, text: bare, derivedFrom: ex.text });
      }
    }
  }
  return out;
}

function classify(ex: DocExample): Classified {
  const cmd = parseCommand(ex.text);
  const args = flowdeployArgs(cmd);
  const rule = RULES.find((r) => r.applies(ex, cmd, args));
  const verdict = rule?.verdict(ex, cmd, args);
  // Shell this reading does not follow (another pipe, `;`, `||`) is never run.
  if (!rule || !verdict || ((verdict.kind === "run" || verdict.kind === "service") && cmd.unsupported)) return { ex, rule: "none", verdict: { kind: "unclassified" } };
  return { ex, rule: rule.rule, verdict };
}

const examples = allExamples();
const classified = examples.map(classify);

/** The distinct commands to run, with what every doc occurrence says about them. */
const planned: Planned[] = [];
for (const c of classified) {
  if (c.verdict.kind !== "run" && c.verdict.kind !== "service") continue;
  const cmd = parseCommand(c.ex.text);
  const { args, port } = rewrite(c.verdict.args);
  const stdinFile = cmd.stdinFile ? (READER_FILES[cmd.stdinFile] ?? cmd.stdinFile) : undefined;
  const key = JSON.stringify({ env: cmd.env, args, stdinFile });
  const expectation = expectationOf(c.ex, port);
  const existing = planned.find((p) => p.key === key);
  if (!existing) {
    planned.push({ key, kind: c.verdict.kind, args, env: cmd.env, stdinFile, examples: [c.ex], expectation, conflicts: [] });
    continue;
  }
  existing.examples.push(c.ex);
  const merged = existing.expectation;
  if (expectation.exitCode !== undefined) {
    if (merged.exitCode !== undefined && merged.exitCode !== expectation.exitCode) existing.conflicts.push(`${c.ex.where} says exit ${expectation.exitCode}, another place exit ${merged.exitCode}`);
    merged.exitCode ??= expectation.exitCode;
  }
  merged.stdoutIncludes.push(...expectation.stdoutIncludes);
  merged.outputIncludes.push(...expectation.outputIncludes);
  merged.firstLine.push(...expectation.firstLine);
}

/** The environment the docs assume: none of the app's settings, except what an example sets itself. */
function exampleEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(FLOWDEPLOY_|ServiceBusConnection|DEPLOY_QUEUE_NAME$|NOTIFICATION_TOPIC_NAME$|AZURE_)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** A service (`serve`, `simulator`): started, its first stdout line read, then stopped with SIGTERM. */
function runService(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun & { firstLine: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), ...args], { cwd: repoRoot, env });
    let stdout = "";
    let stderr = "";
    let firstLine: string | undefined;
    const giveUp = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (c) => {
      stdout += String(c);
      if (firstLine === undefined && stdout.includes("\n")) {
        firstLine = stdout.slice(0, stdout.indexOf("\n"));
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(giveUp);
      resolve({ code: code ?? -1, stdout, stderr: signal ? `${stderr}\n(ended by ${signal})` : stderr, firstLine: firstLine ?? "" });
    });
    child.stdin.end();
  });
}

async function runPlanned(p: Planned): Promise<CliRun & { firstLine?: string }> {
  const env = exampleEnv(p.env);
  if (p.kind === "service") return runService(p.args, env);
  const stdin = p.stdinFile ? readFileSync(join(repoRoot, p.stdinFile), "utf8") : "";
  return runBin(p.args, stdin, env);
}

/** Two at a time: the machine has two cores, and each run starts a Node process with tsx. */
async function runAll(items: Planned[]): Promise<Map<string, CliRun & { firstLine?: string }>> {
  const results = new Map<string, CliRun & { firstLine?: string }>();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const p = items[next++]!;
      results.set(p.key, await runPlanned(p));
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

let results: Map<string, CliRun & { firstLine?: string }>;

beforeAll(async () => {
  results = await runAll(planned);
}, 240_000);

afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

const label = (p: Planned) => `${p.examples[0]!.text}  (${p.examples.map((e) => e.where).join(", ")})`;

describe("the command examples of README.md and docs/*.md", () => {
  it("every example is classified by a rule (run, skipped for a reason, or a synopsis checked against --help)", () => {
    const unclassified = classified.filter((c) => c.verdict.kind === "unclassified").map((c) => `${c.ex.where}: ${c.ex.text}`);
    expect(unclassified, "add a rule or a NOT_RUN entry with its reason").toEqual([]);
    expect(planned.length).toBeGreaterThanOrEqual(10);
    if (process.env["FLOWDEPLOY_EXAMPLES_REPORT"]) {
      const count = (kind: string) => classified.filter((c) => c.verdict.kind === kind).length;
      const lines = classified.map((c) => `  ${c.verdict.kind.padEnd(8)} ${c.ex.where}: ${c.ex.text}${c.verdict.kind === "skip" ? ` — ${c.rule}: ${c.verdict.reason}` : ""}`);
      console.log(`doc examples: ${examples.length}: ${count("run") + count("service")} run (${planned.length} distinct commands), ${count("skip")} skipped, ${count("synopsis")} synopses\n${lines.join("\n")}`);
    }
  });

  it("every NOT_RUN entry is still an example in the docs", () => {
    for (const n of NOT_RUN) expect(examples.some((e) => e.text === n.command), n.command).toBe(true);
  });

  it("`npm run local` is `flowdeploy local` through the bin (so it runs once, as `local`)", () => {
    expect(packageScripts["local"]).toBe("node bin/flowdeploy.cjs local");
  });

  it("every `npm run` script the docs name exists, and every repository path they name is there", () => {
    for (const ex of examples) {
      const cmd = parseCommand(ex.text);
      const argv = program(cmd);
      if (argv[0] === "npm" && argv[1] === "run") expect(Object.keys(packageScripts), `${ex.where}: ${ex.text}`).toContain(argv[2]);
      for (const path of ex.text.match(/(?<![\w/.-])(?:samples|docs|test|src|bench|schemas|scripts)\/[\w./-]*\w/g) ?? []) {
        expect(existsSync(join(repoRoot, path)), `${ex.where}: ${path}`).toBe(true);
      }
    }
  });

  const synopses = classified.filter((c) => c.verdict.kind === "synopsis" && flowdeployArgs(parseCommand(c.ex.text)) !== undefined);
  it.each(synopses.map((c) => [`${c.ex.where}: ${c.ex.text}`, c.ex] as const))("synopsis %s: its command, flags and choices are in --help", async (_name, ex) => {
    const words = ex.text.split(/\s+/);
    const start = words[0] === "npx" ? 2 : 1;
    const command = words[start]!;
    const help = await runCli(command.startsWith("-") ? ["--help"] : [command, "--help"]);
    expect(help.code, help.stderr).toBe(0);
    for (const flag of ex.text.match(/--[a-z][\w-]*/g) ?? []) expect(help.stdout, `${flag} in flowdeploy ${command} --help`).toMatch(new RegExp(`(^|[\\s,])${flag}\\b`, "m"));
    for (const m of ex.text.matchAll(/(--[a-z][\w-]*) ((?:\w+\|)+\w+)/g)) {
      for (const choice of m[2]!.split("|")) expect(help.stdout, `${m[1]} ${choice}`).toContain(`"${choice}"`);
    }
  });

  it.each(planned.map((p) => [label(p), p] as const))("%s", (_name, p) => {
    expect(p.conflicts).toEqual([]);
    const r = results.get(p.key)!;
    const e = p.expectation;
    const shown = `exit ${r.code}\n--- stdout\n${r.stdout.slice(0, 3000)}\n--- stderr\n${r.stderr.slice(0, 3000)}`;
    expect(r.code, shown).toBe(e.exitCode ?? 0);
    expect(r.stderr, shown).not.toMatch(/internal error|\n\s+at .+:\d+:\d+\)?\n/);
    for (const s of e.stdoutIncludes) expect(r.stdout, shown).toContain(s);
    for (const s of e.outputIncludes) expect(`${r.stdout}\n${r.stderr}`, shown).toContain(s);
    if (p.kind === "service") {
      const first = JSON.parse(r.firstLine ?? "") as Record<string, unknown>;
      for (const { key, pattern } of e.firstLine) expect(String(first[key]), `${key} of the first stdout line`).toMatch(pattern);
    }
  });

  it.each(OUTPUT_BLOCKS.map((b) => [`${b.file}: the output shown for flowdeploy ${b.args.join(" ")}`, b] as const))("%s", (_name, block) => {
    const shown = textBlock(readFileSync(join(docsRoot, block.file), "utf8"), block.firstLine);
    expect(shown, `a \`\`\`text block starting "${block.firstLine}"`).toBeDefined();
    const p = planned.find((x) => JSON.stringify(x.args) === JSON.stringify(block.args) && x.stdinFile === undefined && Object.keys(x.env).length === 0);
    expect(p, "the command is one of the run examples").toBeDefined();
    const actual = results.get(p!.key)!.stdout.split("\n");
    // Up to the notification, which the block abbreviates as `{ ...the notification... }`.
    const notification = shown!.findIndex((l) => l.startsWith("{"));
    const doc = notification < 0 ? shown! : shown!.slice(0, notification);
    expect(normalizeOutput(actual.slice(0, doc.length))).toEqual(normalizeOutput(doc));
  });
});

/** The lines of the ```text block whose first line starts with `firstLine`. */
function textBlock(markdown: string, firstLine: string): string[] | undefined {
  const blocks = markdown.split(/^```text\n/m).slice(1).map((b) => b.slice(0, b.indexOf("\n```")).split("\n"));
  return blocks.find((b) => b[0]?.startsWith(firstLine));
}

/** Stage times as seconds after the first stage line, the simulator's port and the wall time left out. */
function normalizeOutput(lines: string[]): string[] {
  let first: number | undefined;
  return lines.map((line) => {
    let out = line.replace(/https:\/\/127\.0\.0\.1:(\d+|PORT)/g, "https://127.0.0.1:PORT").replace(/ in [\d.]+ s of wall time$/, " in N s of wall time");
    const time = /^ {2}(\d\d):(\d\d):(\d\d) {2}/.exec(out);
    if (time) {
      const seconds = Number(time[1]) * 3600 + Number(time[2]) * 60 + Number(time[3]);
      first ??= seconds;
      out = `  +${(seconds - first + 86_400) % 86_400}s${out.slice(10)}`;
    }
    return out;
  });
}
