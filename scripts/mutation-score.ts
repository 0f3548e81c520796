/**
 * `npm run mutate:score [-- <report.json>] [--survivors]`
 *
 * Reads StrykerJS JSON reports (the mutation-testing-report-schema; by default every core folder's
 * committed report, reports/mutation/scopes/*.json, which `npm run mutate` writes) and prints, as the markdown docs/testing.md
 * records, the score per folder and file: killed (killed + timed out) over valid mutants (killed,
 * timed out, survived, not covered). Ignored mutants (a `// Stryker disable` with its reason, or
 * static mutants under `ignoreStatic`) are counted beside the score, not in it, as Stryker does.
 * `--survivors` adds every surviving and uncovered mutant with its line and replacement, the list
 * each of which must be killed or explained.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { SCOPE_REPORTS } from "./mutate";

/**
 * The part of Stryker's JSON report (the mutation-testing-report-schema, `files`) the score needs.
 * The counting follows the schema's metrics (mutation-testing-metrics' `Metrics`): detected = killed +
 * timed out, undetected = survived + no coverage, valid = detected + undetected, score = detected /
 * valid. Ignored mutants and compile or runtime errors are not valid and do not count.
 */
export type MutantStatus = "Killed" | "Survived" | "NoCoverage" | "Timeout" | "CompileError" | "RuntimeError" | "Ignored" | "Pending";
export interface MutantResult {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: MutantStatus;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}
export type FileResultDictionary = Record<string, { language: string; source: string; mutants: MutantResult[] }>;


/** Every folder's committed report, their files together (each folder's files are in its report only); empty when none exists yet. */
export function readScopeReports(root = process.cwd()): FileResultDictionary {
  const dir = join(root, SCOPE_REPORTS);
  if (!existsSync(dir)) return {};
  const reports = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  return Object.assign({}, ...reports.map((f) => relativeNames((JSON.parse(readFileSync(join(dir, f), "utf8")) as { files: FileResultDictionary }).files, root))) as FileResultDictionary;
}

interface Row {
  name: string;
  valid: number;
  detected: number;
  survived: number;
  noCoverage: number;
  ignored: number;
  score: number;
}

const percent = (score: number) => (Number.isNaN(score) ? "–" : `${score.toFixed(1)}%`);

/** The metrics of some of the report's files, counted as Stryker counts them. */
function rowOf(name: string, files: FileResultDictionary): Row {
  const mutants = Object.values(files).flatMap((f) => f.mutants);
  const count = (...statuses: MutantStatus[]) => mutants.filter((m) => statuses.includes(m.status)).length;
  const detected = count("Killed", "Timeout");
  const survived = count("Survived");
  const noCoverage = count("NoCoverage");
  const valid = detected + survived + noCoverage;
  return { name, valid, detected, survived, noCoverage, ignored: count("Ignored"), score: valid === 0 ? NaN : (detected / valid) * 100 };
}

function table(rows: Row[]): string {
  const lines = ["| Scope | Valid | Killed | Survived | No coverage | Ignored | Score |", "|---|---:|---:|---:|---:|---:|---:|"];
  for (const r of rows) lines.push(`| ${r.name} | ${r.valid} | ${r.detected} | ${r.survived} | ${r.noCoverage} | ${r.ignored} | ${percent(r.score)} |`);
  return lines.join("\n");
}

const pick = (files: FileResultDictionary, names: string[]): FileResultDictionary => Object.fromEntries(names.map((n) => [n, files[n]!]));

/** The report's file names relative to the repository (Stryker writes them relative to where it ran, or absolute). */
function relativeNames(files: FileResultDictionary, root: string): FileResultDictionary {
  return Object.fromEntries(Object.entries(files).map(([name, file]) => [isAbsolute(name) ? relative(root, name) : name, file]));
}

function survivorLines(path: string, mutants: MutantResult[]): string[] {
  return mutants
    .filter((m) => m.status === "Survived" || m.status === "NoCoverage")
    .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)
    .map((m) => `- \`${path}:${m.location.start.line}:${m.location.start.column}\` ${m.status} ${m.mutatorName}: \`${JSON.stringify(m.replacement ?? "")}\``);
}

/** The markdown docs/testing.md records: the whole core, each folder, each file; with `withSurvivors`, what is left to kill or explain. */
export function summarize(report: FileResultDictionary, withSurvivors: boolean, root = process.cwd()): string {
  const files = relativeNames(report, root);
  const names = Object.keys(files).sort();
  const folders = [...new Set(names.map((n) => dirname(n)))].sort();
  const out = [
    table([
      rowOf("**all**", files),
      ...folders.map((folder) => rowOf(`\`${folder}/\``, pick(files, names.filter((n) => dirname(n) === folder)))),
    ]),
    "",
    table(names.map((n) => rowOf(`\`${n}\``, pick(files, [n])))),
  ];
  if (withSurvivors) {
    out.push("", "Survivors and uncovered mutants:");
    for (const n of names) out.push(...survivorLines(n, files[n]!.mutants));
  }
  return out.join("\n");
}

function main(argv: string[]): void {
  const withSurvivors = argv.includes("--survivors");
  const path = argv.find((a) => !a.startsWith("--"));
  let files: FileResultDictionary;
  try {
    files = path ? (JSON.parse(readFileSync(path, "utf8")) as { files: FileResultDictionary }).files : readScopeReports();
  } catch (err) {
    console.error(`mutation-score: cannot read ${path ?? SCOPE_REPORTS}: ${(err as Error).message}`);
    process.exit(1);
  }
  if (Object.keys(files).length === 0) {
    console.error(`mutation-score: no report in ${SCOPE_REPORTS} (run \`npm run mutate -- <folder>\` first)`);
    process.exit(1);
  }
  console.log(summarize(files, withSurvivors));
}

if (require.main === module) main(process.argv.slice(2));
