/**
 * `npm run mutate [-- <scope>...] [-- <stryker options>]`
 *
 * Mutation testing of the product core (docs/testing.md), one Stryker run per scope. A scope is a
 * core folder (`src/domain`) or files in one (`src/domain/parity.ts`); with none given, every core
 * folder in turn. A folder's results live in its report, reports/mutation/scopes/<folder>.json, which
 * is committed and which `npm run mutate:score` adds up. Stryker writes its incremental report with
 * only the files of the run that wrote it, so one report per folder is what lets the score grow
 * folder by folder, session by session, while a rerun of a folder retests only the mutants whose code
 * or killing test changed (after adding tests, pass `--force`: docs/testing.md says why). A run over some files of a folder would drop the folder's other files
 * from its report, so it writes a scratch report instead (reports/mutation/scratch.json, not
 * committed): it is for trying a fix, and the folder's rerun records it. Options after the scopes
 * (`--concurrency 4`) go to Stryker as they are.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** The product core, as stryker.config.mjs mutates it (not the stand-ins, the CLI or the Functions wiring). */
export const CORE_FOLDERS = ["orchestrations", "src/domain", "src/intake", "src/contracts", "src/activities"] as const;

export const SCOPE_REPORTS = "reports/mutation/scopes";
export const SCRATCH_REPORT = "reports/mutation/scratch.json";

export interface ScopeRun {
  /** What Stryker mutates (`--mutate`). */
  mutate: string;
  /** The folder's report (`--incrementalFile`). */
  report: string;
}

/** The core folder a scope belongs to, or an error naming the scope when it is outside the core. */
function coreFolderOf(scope: string): string {
  const folder = CORE_FOLDERS.find((f) => scope === f || scope.startsWith(`${f}/`));
  if (!folder) throw new Error(`mutate: ${scope} is not in the product core (${CORE_FOLDERS.join(", ")})`);
  return folder;
}

/** The Stryker run for one scope: a core folder's TypeScript files into its report, or one file into the scratch report. */
export function scopeRun(scope: string, root = process.cwd()): ScopeRun {
  const normalized = relative(root, join(root, scope)).replaceAll("\\", "/");
  const folder = coreFolderOf(normalized);
  const path = join(root, normalized);
  if (!existsSync(path)) throw new Error(`mutate: ${scope} does not exist`);
  if (normalized === folder) return { mutate: `${folder}/**/*.ts`, report: folderReport(folder) };
  return { mutate: statSync(path).isDirectory() ? `${normalized}/**/*.ts` : normalized, report: SCRATCH_REPORT };
}

/** A core folder's committed report: `src/domain` → reports/mutation/scopes/src-domain.json. */
export const folderReport = (folder: string) => `${SCOPE_REPORTS}/${folder.replaceAll("/", "-")}.json`;

/** Splits the arguments into scopes (until the first option) and the options passed to Stryker. */
export function parseArgs(argv: string[]): { scopes: string[]; strykerOptions: string[] } {
  const firstOption = argv.findIndex((a) => a.startsWith("-"));
  const scopes = firstOption === -1 ? argv : argv.slice(0, firstOption);
  const strykerOptions = firstOption === -1 ? [] : argv.slice(firstOption).filter((a) => a !== "--");
  return { scopes: scopes.length > 0 ? scopes : [...CORE_FOLDERS], strykerOptions };
}

function main(argv: string[]): number {
  let runs: ScopeRun[];
  let strykerOptions: string[];
  try {
    const parsed = parseArgs(argv);
    strykerOptions = parsed.strykerOptions;
    runs = parsed.scopes.map((s) => scopeRun(s));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  for (const run of runs) {
    console.log(`mutate: ${run.mutate} → ${run.report}${run.report === SCRATCH_REPORT ? " (part of a folder: not recorded; rerun the folder to record it)" : ""}`);
    const stryker = spawnSync("npx", ["stryker", "run", "--mutate", run.mutate, "--incrementalFile", run.report, ...strykerOptions], { stdio: "inherit" });
    if (stryker.status !== 0) return stryker.status ?? 1;
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
