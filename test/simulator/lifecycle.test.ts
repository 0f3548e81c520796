import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerSimulatorCommand, runSimulatorCommand } from "../../src/cli/commands/simulator";
import { UsageError, type CliIO } from "../../src/cli/io";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator } from "../../src/local/simulator";
import { clientsFor, repoRoot } from "./support/harness";

/** Starting and stopping leaves no process, port or file behind; the CLI contract holds. */

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

function memoryIO(): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += String(c)));
  stderr.on("data", (c) => (err += String(c)));
  return { io: { stdout, stderr, stdin: Readable.from([]) }, out: () => out, err: () => err };
}

describe("in-process lifecycle", () => {
  it("close() frees the port even with SDK keep-alive connections open, and removes the CA file", async () => {
    const sim = await startSimulator({ clock: new VirtualClock() });
    const c = clientsFor(sim);
    await c.ml.workspaces.get(c.ws.resourceGroup, c.ws.workspace);
    expect(existsSync(sim.caCertFile)).toBe(true);
    expect(readFileSync(sim.caCertFile, "utf8")).toBe(sim.caCertPem);
    await sim.close();
    await sim.close(); // idempotent
    expect(await connectionRefused(sim.port)).toBe(true);
    expect(await portIsFree(sim.port)).toBe(true);
    expect(existsSync(sim.caCertFile)).toBe(false);
  });

  it("speaks TLS only to clients that trust its certificate", async () => {
    const sim = await startSimulator({ clock: new VirtualClock() });
    try {
      const untrusted = clientsFor({ ...sim, caCertPem: "" } as typeof sim);
      await expect(untrusted.ml.workspaces.get("rg", "ws")).rejects.toMatchObject({ code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
      expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await sim.close();
    }
  });

  it("runSimulatorCommand prints the JSON line, serves until stopped and returns 0", async () => {
    const { io, out, err } = memoryIO();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const done = runSimulatorCommand({ port: "0", timeScale: "60" }, io, () => stopped);
    while (!out().includes("\n")) await new Promise((r) => setTimeout(r, 5));
    const first = JSON.parse(out().split("\n")[0] ?? "") as { url: string; caCertFile: string };
    expect(Object.keys(first)).toEqual(["url", "caCertFile"]);
    expect(first.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    stop();
    expect(await done).toBe(0);
    expect(err()).toContain("listening on");
    expect(existsSync(first.caCertFile)).toBe(false);
  });

  it("usage errors throw UsageError (exit 2); an invalid scenario prints field-named errors and returns 1", async () => {
    const never = () => new Promise<never>(() => undefined);
    const { io } = memoryIO();
    await expect(runSimulatorCommand({ port: "70000" }, io, never)).rejects.toBeInstanceOf(UsageError);
    await expect(runSimulatorCommand({ port: "abc" }, io, never)).rejects.toThrow(/--port/);
    await expect(runSimulatorCommand({ timeScale: "0" }, io, never)).rejects.toThrow(/--time-scale/);
    await expect(runSimulatorCommand({ timeScale: "fast" }, io, never)).rejects.toBeInstanceOf(UsageError);

    const dir = mkdtempSync(join(tmpdir(), "flowdeploy-sim-cli-"));
    try {
      const file = join(dir, "bad.json");
      writeFileSync(file, JSON.stringify({ faults: [{ op: "score", status: 99 }], latency: { endpointSeconds: "slow" } }));
      const bad = memoryIO();
      expect(await runSimulatorCommand({ scenario: file }, bad.io, never)).toBe(1);
      expect(bad.err()).toContain("faults[0].status");
      expect(bad.err()).toContain("latency.endpointSeconds");
      expect(bad.out()).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("registers `simulator` with its options on a commander program", () => {
    const program = new Command("flowdeploy");
    registerSimulatorCommand(program, memoryIO().io, () => undefined);
    const cmd = program.commands.find((c) => c.name() === "simulator");
    expect(cmd?.options.map((o) => o.long)).toEqual(["--port", "--scenario", "--time-scale", "--state-file", "--host", "--quiet"]);
  });
});

/** The real bin once main.ts registers the command; until then the command-only harness. */
const mainRegistersSimulator = readFileSync(join(repoRoot, "src", "cli", "main.ts"), "utf8").includes("registerSimulatorCommand");
const cliEntry = mainRegistersSimulator
  ? [join(repoRoot, "bin", "flowdeploy.cjs")]
  : ["--require", "tsx/cjs", join(repoRoot, "test", "simulator", "support", "simulatorCli.ts")];

function startCli(args: string[]): { child: ChildProcessWithoutNullStreams; firstLine: Promise<string>; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [...cliEntry, "simulator", ...args], { cwd: repoRoot });
  let out = "";
  let err = "";
  child.stderr.on("data", (c) => (err += String(c)));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (c) => {
      out += String(c);
      if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
    });
    child.once("exit", () => reject(new Error(`exited before printing: ${err}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, firstLine, stderr: () => err, exit };
}

function runNode(code: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", code], { env });
    let out = "";
    child.stdout.on("data", (c) => (out += String(c)));
    child.stderr.on("data", (c) => (out += String(c)));
    child.once("exit", () => resolve(out.trim()));
  });
}

describe(`CLI process (${mainRegistersSimulator ? "bin/flowdeploy.cjs" : "command harness"})`, () => {
  it("prints {url, caCertFile} first, is trusted via NODE_EXTRA_CA_CERTS, exits 0 on SIGTERM and leaves nothing behind", async () => {
    const cli = startCli(["--port", "0", "--time-scale", "100", "--scenario", join(repoRoot, "samples", "scenarios", "existing-endpoint-blue.json")]);
    try {
      const first = JSON.parse(await cli.firstLine) as { url: string; caCertFile: string };
      expect(Object.keys(first)).toEqual(["url", "caCertFile"]);
      expect(existsSync(first.caCertFile)).toBe(true);
      const port = Number(new URL(first.url).port);

      // Another process trusts it with NODE_EXTRA_CA_CERTS and plain fetch; without it, TLS fails.
      const probe = `fetch(${JSON.stringify(`${first.url}/_simulator/state`)}).then(r => r.json()).then(s => console.log(s.endpoints[0].name), e => console.log("ERR " + (e.cause && e.cause.code)))`;
      expect(await runNode(probe, { ...process.env, NODE_EXTRA_CA_CERTS: first.caCertFile })).toBe("web-classify");
      expect(await runNode(probe, { ...process.env, NODE_EXTRA_CA_CERTS: "" })).toBe("ERR DEPTH_ZERO_SELF_SIGNED_CERT");

      const arm = `fetch(${JSON.stringify(`${first.url}/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w?api-version=2022-10-01`)}, { headers: { Authorization: "Bearer t" } }).then(r => console.log(r.status))`;
      expect(await runNode(arm, { ...process.env, NODE_EXTRA_CA_CERTS: first.caCertFile })).toBe("200");
      while (!cli.stderr().includes("workspaces.get")) await new Promise((r) => setTimeout(r, 10));
      expect(cli.stderr()).toMatch(/GET \/subscriptions\/s\/resourceGroups\/r\/providers\/Microsoft\.MachineLearningServices\/workspaces\/w -> 200 workspaces\.get/);

      cli.child.kill("SIGTERM");
      expect(await cli.exit).toBe(0);
      expect(await portIsFree(port)).toBe(true);
      expect(existsSync(first.caCertFile)).toBe(false);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    }
  });

  it("exits 0 on SIGINT as well, and 2 for a bad --port", async () => {
    const cli = startCli(["--quiet"]);
    try {
      await cli.firstLine;
      cli.child.kill("SIGINT");
      expect(await cli.exit).toBe(0);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    }
    const bad = startCli(["--port", "-1"]);
    bad.firstLine.catch(() => undefined);
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toContain("--port");
  });
});
