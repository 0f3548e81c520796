import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./io";

/**
 * Checks `--state-dir` before anything starts: it must be (or become) a writable directory — a file
 * or an unwritable place is a usage error (exit 2), not an internal one. Returns a note when a
 * `--scenario` will be ignored because the directory already holds the simulator's state (an existing
 * state wins over a scenario: docs/simulator.md).
 */
export function checkStateDir(dir: string | undefined, scenarioGiven: boolean): string | undefined {
  if (!dir) return undefined;
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--state-dir ${dir} is a file, not a directory`);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(`--state-dir ${dir} cannot be written (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (scenarioGiven && existsSync(join(dir, "simulator-state.json"))) {
    return `note: --scenario is ignored: ${dir} already holds the simulator's state (simulator-state.json), which wins; use a new --state-dir to start from the scenario`;
  }
  return undefined;
}
