import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { folderReport, parseArgs, scopeRun, SCRATCH_REPORT } from "../../scripts/mutate";
import { readScopeReports, summarize, type FileResultDictionary, type MutantResult, type MutantStatus } from "../../scripts/mutation-score";
import { repoRoot } from "../support/samples";

/**
 * `npm run mutate` (scripts/mutate.ts): which report each run writes; `npm run mutate:score`
 * (scripts/mutation-score.ts): the score docs/testing.md records, counted as Stryker counts it, and the
 * recorded score kept equal to the committed per-folder reports.
 */
let id = 0;
const mutant = (status: MutantStatus, line: number, mutatorName = "BooleanLiteral", replacement = "false"): MutantResult => ({
  id: String(++id),
  mutatorName,
  replacement,
  status,
  location: { start: { line, column: 3 }, end: { line, column: 9 } },
});

const REPORT: FileResultDictionary = {
  "src/domain/a.ts": {
    language: "typescript",
    source: "",
    mutants: [mutant("Killed", 1), mutant("Killed", 2), mutant("Timeout", 3), mutant("Survived", 9, "StringLiteral", '""'), mutant("Ignored", 4)],
  },
  "src/domain/b.ts": { language: "typescript", source: "", mutants: [mutant("NoCoverage", 5, "ConditionalExpression", "true"), mutant("Killed", 6), mutant("CompileError", 7)] },
  "orchestrations/c.ts": { language: "typescript", source: "", mutants: [mutant("Killed", 1)] },
};

describe("the mutation score", () => {
  it("counts killed and timed-out mutants over the valid ones (survived and uncovered count against it; ignored and invalid do not)", () => {
    const [totals, files] = summarize(REPORT, false, "/repo").split("\n\n");
    expect(totals!.split("\n")).toEqual([
      "| Scope | Valid | Killed | Survived | No coverage | Ignored | Score |",
      "|---|---:|---:|---:|---:|---:|---:|",
      "| **all** | 7 | 5 | 1 | 1 | 1 | 71.4% |",
      "| `orchestrations/` | 1 | 1 | 0 | 0 | 0 | 100.0% |",
      "| `src/domain/` | 6 | 4 | 1 | 1 | 1 | 66.7% |",
    ]);
    expect(files!.split("\n").slice(2)).toEqual([
      "| `orchestrations/c.ts` | 1 | 1 | 0 | 0 | 0 | 100.0% |",
      "| `src/domain/a.ts` | 4 | 3 | 1 | 0 | 1 | 75.0% |",
      "| `src/domain/b.ts` | 2 | 1 | 0 | 1 | 0 | 50.0% |",
    ]);
  });

  it("lists every survivor and uncovered mutant with its place and replacement, and relativizes absolute file names", () => {
    const absolute = Object.fromEntries(Object.entries(REPORT).map(([name, file]) => [`/repo/${name}`, file]));
    const out = summarize(absolute, true, "/repo");
    expect(out.split("Survivors and uncovered mutants:\n")[1]!.split("\n")).toEqual([
      '- `src/domain/a.ts:9:3` Survived StringLiteral: `"\\"\\""`',
      '- `src/domain/b.ts:5:3` NoCoverage ConditionalExpression: `"true"`',
    ]);
  });

  it("adds up every folder's report, each file named relative to the repository", () => {
    const root = mkdtempSync(join(tmpdir(), "mutation-score-"));
    mkdirSync(join(root, "reports", "mutation", "scopes"), { recursive: true });
    const write = (name: string, files: FileResultDictionary) => writeFileSync(join(root, "reports", "mutation", "scopes", name), JSON.stringify({ files }));
    write("orchestrations.json", { "orchestrations/c.ts": REPORT["orchestrations/c.ts"]! });
    write("src-domain.json", { [join(root, "src/domain/a.ts")]: REPORT["src/domain/a.ts"]!, "src/domain/b.ts": REPORT["src/domain/b.ts"]! });
    writeFileSync(join(root, "reports", "mutation", "scopes", "notes.txt"), "not a report");
    expect(summarize(readScopeReports(root), true, root)).toBe(summarize(REPORT, true, "/repo"));
    expect(readScopeReports(join(root, "nowhere"))).toEqual({});
  });
});

describe("npm run mutate", () => {
  const root = repoRoot;

  it("runs each core folder into its own committed report, every folder when none is named", () => {
    expect(scopeRun("src/domain", root)).toEqual({ mutate: "src/domain/**/*.ts", report: "reports/mutation/scopes/src-domain.json" });
    expect(scopeRun("./orchestrations/", root)).toEqual({ mutate: "orchestrations/**/*.ts", report: "reports/mutation/scopes/orchestrations.json" });
    expect(parseArgs([]).scopes.map((s) => scopeRun(s, root).report)).toEqual(
      ["orchestrations", "src-domain", "src-intake", "src-contracts", "src-activities"].map((f) => `reports/mutation/scopes/${f}.json`),
    );
    expect(folderReport("src/activities")).toBe("reports/mutation/scopes/src-activities.json");
  });

  it("runs part of a folder into the scratch report, which would otherwise drop the folder's other files", () => {
    expect(scopeRun("src/domain/parity.ts", root)).toEqual({ mutate: "src/domain/parity.ts", report: SCRATCH_REPORT });
    expect(SCRATCH_REPORT.startsWith("reports/mutation/scopes/")).toBe(false);
  });

  it("refuses what is not in the core, or does not exist, naming it", () => {
    expect(() => scopeRun("src/local", root)).toThrow("mutate: src/local is not in the product core");
    expect(() => scopeRun("src/domainX", root)).toThrow(/src\/domainX is not in the product core/);
    expect(() => scopeRun("src/domain/nope.ts", root)).toThrow("mutate: src/domain/nope.ts does not exist");
  });

  it("passes the options after the scopes to Stryker as they are", () => {
    expect(parseArgs(["src/domain", "--concurrency", "4"])).toEqual({ scopes: ["src/domain"], strykerOptions: ["--concurrency", "4"] });
    expect(parseArgs(["--", "--dryRunOnly"]).strykerOptions).toEqual(["--dryRunOnly"]);
  });
});

describe("docs/testing.md", () => {
  const recorded = readScopeReports(repoRoot);
  it.runIf(Object.keys(recorded).length > 0)("records the score of the committed folder reports (rerun `npm run mutate:score` after `npm run mutate`)", () => {
    const docs = readFileSync(join(repoRoot, "docs", "testing.md"), "utf8");
    expect(docs).toContain(summarize(recorded, false, repoRoot));
  });
});
