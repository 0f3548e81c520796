import { spawn } from "node:child_process";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import type { CliIO } from "../../src/cli/io";
import { main } from "../../src/cli/main";
import { repoRoot } from "./samples";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** In-memory CLI streams and what was written to them. */
export function memoryIO(stdin = ""): { io: CliIO; text: () => { stdout: string; stderr: string } } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += String(c)));
  stderr.on("data", (c) => (err += String(c)));
  return { io: { stdout, stderr, stdin: Readable.from([stdin]) }, text: () => ({ stdout: out, stderr: err }) };
}

/** Runs the CLI in-process with in-memory streams. */
export async function runCli(args: string[], stdin = ""): Promise<CliRun> {
  const { io, text } = memoryIO(stdin);
  const code = await main(["node", "flowdeploy", ...args], io);
  return { code, ...text() };
}

/** Runs the real `bin/flowdeploy.cjs` as a child process, as `npx flowdeploy` does. */
export function runBin(args: string[], stdin = "", env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "flowdeploy.cjs"), ...args], { cwd: repoRoot, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
