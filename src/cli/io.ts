import type { Readable, Writable } from "node:stream";

/** Where a CLI command reads and writes; tests pass in-memory streams. */
export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
}

export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

/** Exit codes shared by every command. */
export const ExitCode = {
  ok: 0,
  /** Invalid input, or a deployment that ended Failed/Rejected. */
  failure: 1,
  /** Wrong flags or arguments. */
  usage: 2,
  /** A bug: something `main` threw, printed as one line by bin/flowdeploy.cjs (which sets this code itself). */
  internal: 3,
} as const;

export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}

/** Thrown by a command for a usage problem it finds after commander parsed the arguments. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
