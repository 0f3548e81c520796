import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkStateDir } from "../../src/cli/stateDir";
import { runBin } from "../support/cli";
import { repoRoot } from "../support/samples";

/** Issue 14: a bad --state-dir is a usage error (exit 2), and a --scenario that an existing state overrides is said to be ignored. */
const dir = mkdtempSync(join(tmpdir(), "flowdeploy-statedir-"));
afterAll(() => {
  for (const locked of ["locked", "serve-locked"]) if (existsSync(join(dir, locked))) chmodSync(join(dir, locked), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe("--state-dir", () => {
  it("a file is a usage error, exit 2, one line", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const r = await runBin(["local", "--state-dir", file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/--state-dir .*a-file is a file, not a directory/);
    expect(r.stderr).not.toMatch(/internal error/i);
  });

  it("an unwritable directory is a usage error", () => {
    const locked = join(dir, "locked");
    rmSync(locked, { recursive: true, force: true });
    writeFileSync(join(dir, "placeholder"), "");
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    // root ignores permissions: then the directory is writable and nothing is wrong.
    if (process.getuid?.() === 0) return expect(checkStateDir(locked, false)).toBeUndefined();
    expect(() => checkStateDir(join(locked, "inner"), false)).toThrow(/cannot be written/);
  });

  it("says that --scenario is ignored when the directory already holds state", async () => {
    const state = join(dir, "state");
    const first = await runBin(["local", "--state-dir", state]);
    expect(first.code).toBe(0);
    const second = await runBin(["local", "--state-dir", state, "--scenario", "samples/scenarios/fast.json"]);
    expect(second.stderr).toContain("--scenario is ignored");
  });
});

/**
 * `flowdeploy serve` through the real bin: it ends by itself on a usage error; otherwise it is stopped
 * with SIGTERM once it has printed its first stdout line (it is ready).
 */
function runServe(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; started: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), "serve", "--port", "0", ...args], { cwd: repoRoot });
    let stdout = "";
    let stderr = "";
    let started = false;
    const hung = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (c) => {
      stdout += String(c);
      if (!started && stdout.includes("\n")) {
        started = true;
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(hung);
      resolve({ code, signal, stdout, stderr, started });
    });
    child.stdin.end();
  });
}

describe("flowdeploy serve --state-dir (the same check as local's)", () => {
  it("a file is a usage error, exit 2, one line, nothing started", async () => {
    const file = join(dir, "serve-file");
    writeFileSync(file, "x");
    const r = await runServe(["--state-dir", file]);
    expect(r.started).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([`flowdeploy: --state-dir ${file} is a file, not a directory`, ""]);
  }, 40_000);

  it("a directory that cannot be made is a usage error, exit 2, one line", async () => {
    // Below a file: no directory can be made there, whoever runs the test (root included).
    const file = join(dir, "serve-parent-file");
    writeFileSync(file, "x");
    const r = await runServe(["--state-dir", join(file, "inner")]);
    expect(r.started).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")).toEqual([`flowdeploy: --state-dir ${join(file, "inner")} cannot be written (ENOTDIR)`, ""]);
    expect(r.stderr).not.toMatch(/internal error/i);
  }, 40_000);

  it("an unwritable directory is a usage error, exit 2", async (ctx) => {
    // root ignores permissions: the directory would be writable.
    if (process.getuid?.() === 0) return ctx.skip();
    const locked = join(dir, "serve-locked");
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const r = await runServe(["--state-dir", locked]);
    expect(r.started).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^flowdeploy: --state-dir .*serve-locked cannot be written \(EACCES\)$/);
  }, 40_000);

  it("says that --scenario is ignored when the directory already holds state, and serves", async () => {
    const state = join(dir, "serve-state");
    const first = await runServe(["--state-dir", state]);
    expect(first.started, first.stderr).toBe(true);
    expect(first.code).toBe(0);
    expect(existsSync(join(state, "simulator-state.json"))).toBe(true);
    expect(first.stderr).not.toContain("--scenario is ignored");
    const second = await runServe(["--state-dir", state, "--scenario", "samples/scenarios/fast.json"]);
    expect(second.started, second.stderr).toBe(true);
    expect(second.code).toBe(0);
    expect(second.stderr.split("\n")[0]).toBe(
      `note: --scenario is ignored: ${state} already holds the simulator's state (simulator-state.json), which wins; use a new --state-dir to start from the scenario`,
    );
  }, 60_000);
});
