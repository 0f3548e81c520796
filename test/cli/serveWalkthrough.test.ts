import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instanceIdFor } from "../../src/domain/ids";
import { parseCommand, serveWalkthrough, type WalkthroughStep } from "../docs/markdownExamples";
import type { CliRun } from "../support/cli";
import { repoRoot } from "../support/samples";

/**
 * The README's `serve` walkthrough (issue 14), run in order as a reader would: its commands are read
 * out of README.md (test/docs/markdownExamples.ts), not retyped, and changed only where this machine
 * needs it:
 * - `serve --port 7071` listens on port 0 (7071 may be taken), on the simulator's clock sped up as in
 *   test/cli/serve.test.ts (`--time-scale 600`: a deployment takes ~2 s), with a temporary `--state-dir`;
 *   the README's `http://127.0.0.1:7071` becomes the url serve printed, and `status`/`list` (whose
 *   default is that URL) get it as FLOWDEPLOY_URL;
 * - `<serviceBusConnectionString from that line>` is read from serve's first line, `"$SB"` expanded,
 *   and `<instanceId>` is the instance the 202 above it names;
 * - a curl line runs curl when it is installed, else the same request through fetch;
 * - the background `watch --once` is awaited where the README shows what it prints, and `status` and
 *   `list` run once the deployments have finished (a reader runs them later; they show no output).
 * `cancel` and `approve` act on a deployment still running or waiting for approval: not run here
 * (markdownExamples.ts says why). test/docs/examples.test.ts leaves the lines run here to this test.
 */

const README = "README.md";
const steps = serveWalkthrough(README, readFileSync(join(repoRoot, README), "utf8"));
const TIME_SCALE = "600";

const stateDir = mkdtempSync(join(tmpdir(), "flowdeploy-serve-walkthrough-"));
const children = new Set<ChildProcess>();

interface Started {
  child: ChildProcess;
  done: Promise<CliRun>;
  stdout: () => string;
}

/** A process of this test: recorded, so that afterAll ends whatever still runs. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { cwd: repoRoot, env });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c) => (stdout += String(c)));
  child.stderr!.on("data", (c) => (stderr += String(c)));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      children.delete(child);
      resolve({ code: code ?? -1, stdout, stderr: signal ? `${stderr}\n(ended by ${signal})` : stderr });
    });
  });
  child.stdin!.end();
  return { child, done, stdout: () => stdout };
}

/** The environment a reader has: none of the app's settings; `status` and `list` pointed at this serve. */
function readerEnv(url?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(FLOWDEPLOY_|ServiceBusConnection|DEPLOY_QUEUE_NAME$|NOTIFICATION_TOPIC_NAME$|AZURE_)/.test(k)) env[k] = v;
  return url === undefined ? env : { ...env, FLOWDEPLOY_URL: url };
}

const flowdeploy = (args: string[], env: NodeJS.ProcessEnv) => start(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), ...args], env);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  url: string;
}

const curlInstalled = spawnSync("curl", ["--version"]).error === undefined;

/** A curl line: curl itself when installed (`-sS -i` added to read the status and headers), else the same request through fetch. */
async function curl(args: string[], env: NodeJS.ProcessEnv): Promise<Answer> {
  const request = curlRequest(args);
  if (!curlInstalled) {
    const res = await fetch(request.url, request.init);
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body: await res.text(), url: request.url };
  }
  const run = await start("curl", ["-sS", "-i", ...args], env).done;
  if (run.code !== 0) throw new Error(`curl ${args.join(" ")}: exit ${run.code}: ${run.stderr}`);
  let rest = run.stdout;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    const head = rest.slice(0, end).split("\r\n");
    rest = rest.slice(end + 4);
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head[0] ?? "")?.[1]);
    // An interim answer (100 Continue to a large POST) comes before the real one.
    if (status >= 100 && status < 200) continue;
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) headers[line.slice(0, line.indexOf(":")).trim().toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
    return { status, headers, body: rest, url: request.url };
  }
}

/** What the walkthrough's curl lines use: -X, -H, --data (`@file` read as curl does: line breaks dropped), one URL. */
function curlRequest(args: string[]): { url: string; init: RequestInit } {
  let method: string | undefined;
  let url: string | undefined;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-X" || a === "--request") method = args[++i];
    else if (a === "-H" || a === "--header") {
      const h = args[++i]!;
      headers[h.slice(0, h.indexOf(":")).trim()] = h.slice(h.indexOf(":") + 1).trim();
    } else if (a === "-d" || a === "--data") {
      const d = args[++i]!;
      body = d.startsWith("@") ? readFileSync(join(repoRoot, d.slice(1)), "utf8").replace(/[\r\n]/g, "") : d;
    } else if (a.startsWith("-")) throw new Error(`curl option ${a}: not read by this test (add it to curlRequest)`);
    else url = a;
  }
  if (!url) throw new Error(`curl ${args.join(" ")}: no URL`);
  if (body !== undefined) headers["content-type"] ??= "application/x-www-form-urlencoded";
  return { url, init: { method: method ?? (body === undefined ? "GET" : "POST"), headers, ...(body === undefined ? {} : { body }) } };
}

interface Ran {
  step: WalkthroughStep;
  /** The line as run, after the substitutions above. */
  text: string;
  argv: string[];
  cli?: CliRun;
  answer?: Answer;
}

interface Service {
  url: string;
  firstLine: Record<string, string>;
  readmePort: string;
  started: Started;
}

let service: Service | undefined;
const ran: Ran[] = [];
/** What `watch --once &` printed, with the outcome line the README shows for it. */
const watched: Array<{ run: CliRun; shown: string }> = [];
let stopped: CliRun | undefined;

/** `<name>` from the values found so far; `<key from that line>` from serve's first line. */
function substitute(text: string, vars: Record<string, string>): string {
  let out = text.replace(/<(\w+)( from that line)?>/g, (whole, name: string, fromLine?: string) => {
    const value = fromLine ? service?.firstLine[name] : vars[name];
    if (value === undefined) throw new Error(`${whole}: nothing to put there yet`);
    return value;
  });
  if (service) out = out.split(`http://127.0.0.1:${service.readmePort}`).join(service.url);
  return out;
}

const expand = (word: string, vars: Record<string, string>) => word.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => vars[name] ?? whole);

async function startServe(args: string[], step: WalkthroughStep): Promise<Service> {
  const port = args.indexOf("--port");
  const readmePort = args[port + 1]!;
  const serveArgs = [...args];
  serveArgs[port + 1] = "0";
  serveArgs.push("--time-scale", TIME_SCALE, "--state-dir", join(stateDir, "serve"));
  const started = flowdeploy(serveArgs, readerEnv());
  const deadline = Date.now() + 30_000;
  while (!started.stdout().includes("\n")) {
    if (started.child.exitCode !== null) throw new Error(`${step.ex.where}: serve ended: ${(await started.done).stderr}`);
    if (Date.now() > deadline) throw new Error(`${step.ex.where}: serve printed no first line in 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const firstLine = JSON.parse(started.stdout().split("\n")[0]!) as Record<string, string>;
  return { url: firstLine["url"]!, firstLine, readmePort, started };
}

/** Until the service runs no deployment (each a few seconds at this time scale). */
async function untilNoneRuns(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const page = (await (await fetch(`${url}/api/deployments`)).json()) as { deployments: Array<{ outcome: string }> };
    if (page.deployments.length > 0 && page.deployments.every((d) => d.outcome !== "Running")) return;
    if (Date.now() > deadline) throw new Error(`deployments still running: ${JSON.stringify(page)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `... 2026-11-23T10:18:00.000Z Succeeded web-classify/blue request=...` in a comment: what `watch` prints. */
const OUTCOME_LINE = /\S+Z (\w+ \S+\/\S+ request=\S+)/;

beforeAll(async () => {
  const vars: Record<string, string> = {};
  const background: Array<Promise<CliRun>> = [];
  for (const step of steps) {
    if (step.notRun) continue;
    const text = substitute(step.ex.text, vars);
    const cmd = parseCommand(text);
    if (cmd.unsupported) throw new Error(`${step.ex.where}: ${text}: ${cmd.unsupported}`);
    const argv = cmd.argv.map((w) => expand(w, vars));
    const done: Ran = { step, text, argv };
    ran.push(done);
    if (argv.length === 0) {
      // A shell variable for the lines after it.
      Object.assign(vars, cmd.env);
    } else if (argv[0] === "curl") {
      done.answer = await curl(argv.slice(1), readerEnv(service!.url));
      const id = (JSON.parse(done.answer.body || "{}") as { id?: unknown }).id;
      if (done.answer.status === 202 && typeof id === "string") vars["instanceId"] = id;
    } else if (argv[0] === "npx" && argv[1] === "flowdeploy") {
      const args = argv.slice(2);
      if (args[0] === "serve") {
        service = await startServe(args, step);
        continue;
      }
      if (args[0] === "status" || args[0] === "list") await untilNoneRuns(service!.url);
      const run = flowdeploy(args, readerEnv(service!.url));
      if (cmd.background) background.push(run.done);
      else done.cli = await run.done;
    } else {
      throw new Error(`${step.ex.where}: ${text}: this test runs flowdeploy, curl and shell variables only`);
    }
    // A comment showing what the background watch prints: it has printed it by now.
    const shown = OUTCOME_LINE.exec(step.ex.comment)?.[1];
    if (shown) for (const run of background.splice(0)) watched.push({ run: await run, shown });
  }
  if (service) {
    service.started.child.kill("SIGTERM");
    stopped = await service.started.done;
  }
}, 90_000);

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(stateDir, { recursive: true, force: true });
});

const byCommand = (...words: string[]) => ran.filter((r) => words.every((w, i) => r.argv[i] === w));
const ranCurls = () => ran.filter((r) => r.argv[0] === "curl");
const json = (a: Answer) => JSON.parse(a.body) as Record<string, unknown>;
const sample = (file: string) => JSON.parse(readFileSync(join(repoRoot, file), "utf8")) as { requestId: string; deployment: { name: string } };
const shown = (r: Ran) => `${r.step.ex.where}: ${r.text}\n${r.cli ? `exit ${r.cli.code}\n--- stdout\n${r.cli.stdout}\n--- stderr\n${r.cli.stderr}` : `HTTP ${r.answer?.status}\n${r.answer?.body}`}`;

describe("the README's serve walkthrough, run as written", () => {
  it("is found in README.md, and every command of it runs here or is left out for a stated reason", () => {
    expect(steps.length, "a ```sh block starting `npx flowdeploy serve` in README.md").toBeGreaterThanOrEqual(8);
    expect(steps.filter((s) => s.notRun).map((s) => parseCommand(s.ex.text).argv[2])).toEqual(["cancel", "approve"]);
    expect(ran.map((r) => r.step)).toEqual(steps.filter((s) => !s.notRun));
    expect(byCommand("npx", "flowdeploy", "enqueue").length).toBe(1);
    expect(byCommand("npx", "flowdeploy", "status").length).toBe(1);
    expect(byCommand("npx", "flowdeploy", "list").length).toBe(1);
    expect(ranCurls().length).toBeGreaterThanOrEqual(4);
  });

  it("serve prints the first line the README shows (its port aside), and stops cleanly on SIGTERM", () => {
    const serveStep = steps[0]!;
    const said = /prints (\{.*\})/.exec(serveStep.ex.comment)?.[1] ?? "";
    const pairs = [...said.matchAll(/"(\w+)":"([^"]*)"/g)];
    expect(pairs.length).toBeGreaterThanOrEqual(2);
    for (const [, key, value] of pairs) {
      const pattern = value!
        .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
        .replace(/\\\.\\\.\\\./g, ".*")
        .replace(`:${service!.readmePort}`, ":\\d+");
      expect(service!.firstLine[key!], key).toMatch(new RegExp(`^${pattern}$`));
    }
    expect(stopped?.code, stopped?.stderr).toBe(0);
    expect(stopped?.stderr).toContain("flowdeploy serve stopped");
    expect(stopped?.stderr).not.toMatch(/internal error/i);
  });

  it("every curl line is sent to this serve and answers", () => {
    for (const r of ranCurls()) {
      expect(r.answer!.url.startsWith(`${service!.url}/`), `${r.step.ex.where}: the README's URL is serve's (port ${service!.readmePort})`).toBe(true);
      expect(r.answer!.status, shown(r)).toBeGreaterThanOrEqual(200);
      expect(r.answer!.status, shown(r)).toBeLessThan(300);
    }
  });

  it("the event deploys to the free blue/green slot, Succeeded, and watch prints the line the README shows", () => {
    const eventCurl = ranCurls().find((r) => r.text.includes("/runtime/webhooks/eventgrid"))!;
    expect(eventCurl.answer!.status, shown(eventCurl)).toBe(202);
    expect(watched.length, "the background watch --once is awaited where the README shows its output").toBe(1);
    const { run, shown: readmeLine } = watched[0]!;
    expect(run.code, run.stderr).toBe(0);
    const printed = run.stdout.trim().split("\n").pop()!;
    expect(printed).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
    expect(printed.replace(/^\S+ /, "")).toBe(readmeLine);
    expect(readmeLine).toMatch(/^Succeeded web-classify\/(blue|green) request=bulktest-/);
  });

  it("the enqueued request deploys to the other slot (the one it names), Succeeded; the HTTP starter answers with the same instance", () => {
    const enqueue = byCommand("npx", "flowdeploy", "enqueue")[0]!;
    const file = enqueue.argv[3]!;
    const { requestId, deployment } = sample(file);
    expect(enqueue.cli!.code, shown(enqueue)).toBe(0);
    expect(enqueue.cli!.stdout.trim(), "prints the request id").toBe(requestId);

    const post = ranCurls().find((r) => r.text.includes("/api/deployments --data"))!;
    expect(post.answer!.status, shown(post)).toBe(202);
    expect(post.answer!.headers["location"]).toBe(`${service!.url}/api/deployments/${instanceIdFor(requestId)}`);

    const eventSlot = /web-classify\/(\w+)/.exec(watched[0]!.shown)![1];
    const named = /the request below names (\w+)/.exec(steps.map((s) => s.ex.comment).join(" "))?.[1];
    expect(named, "the README says which slot the request names").toBe(deployment.name);
    expect(deployment.name).not.toBe(eventSlot);
    expect(["blue", "green"]).toContain(eventSlot);
    expect(["blue", "green"]).toContain(deployment.name);
  });

  it("the status route answers by instance id (stages, never a key) and by request id", () => {
    const requestId = sample(byCommand("npx", "flowdeploy", "enqueue")[0]!.argv[3]!).requestId;
    const byId = ranCurls().find((r) => r.step.ex.text.includes("<instanceId>"))!;
    expect(byId.text).toContain(instanceIdFor(requestId));
    expect(byId.answer!.status, shown(byId)).toBe(200);
    const status = json(byId.answer!);
    expect(status).toMatchObject({ instanceId: instanceIdFor(requestId), requestId, runtimeStatus: expect.any(String) });
    expect((status["customStatus"] as { stages?: unknown[] }).stages?.length).toBeGreaterThan(0);
    expect(byId.answer!.body).not.toMatch(/SharedAccessKey=|"(primary|secondary)Key"|local-broker-key/i);

    const byRequest = ranCurls().find((r) => r.text.includes("?requestId="))!;
    expect(byRequest.answer!.status, shown(byRequest)).toBe(200);
    expect(json(byRequest.answer!)).toMatchObject({ instanceId: instanceIdFor(requestId), requestId });
  });

  it("`status` shows the request's deployment Succeeded in the other slot, `list` shows both deployments, newest first", () => {
    const { requestId, deployment } = sample(byCommand("npx", "flowdeploy", "enqueue")[0]!.argv[3]!);
    const eventRequestId = /request=(\S+)/.exec(watched[0]!.shown)![1]!;
    const eventSlot = /web-classify\/(\w+)/.exec(watched[0]!.shown)![1]!;

    const status = byCommand("npx", "flowdeploy", "status")[0]!;
    expect(status.cli!.code, shown(status)).toBe(0);
    expect(status.cli!.stdout.split("\n")[0]).toBe(`${instanceIdFor(requestId)}  Succeeded  web-classify/${deployment.name}  request=${requestId}`);
    expect(status.cli!.stdout).toMatch(/^ {2}traffic +Succeeded /m);

    const list = byCommand("npx", "flowdeploy", "list")[0]!;
    expect(list.cli!.code, shown(list)).toBe(0);
    const rows = list.cli!.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^CREATED +OUTCOME +ENDPOINT\/DEPLOYMENT +REQUEST +INSTANCE$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/).slice(1))).toEqual([
      ["Succeeded", `web-classify/${deployment.name}`, requestId, instanceIdFor(requestId)],
      ["Succeeded", `web-classify/${eventSlot}`, eventRequestId, instanceIdFor(eventRequestId)],
    ]);
  });
});
