import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { summarize, type FileResultDictionary, type MutantResult, type MutantStatus } from "../../scripts/mutation-score";
import { repoRoot } from "../support/samples";

/**
 * `npm run mutate:score` (scripts/mutation-score.ts): the score docs/testing.md records, counted as
 * Stryker counts it, and the recorded score kept equal to the committed incremental report.
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
});

describe("docs/testing.md", () => {
  const committed = join(repoRoot, "reports", "mutation", "incremental.json");
  it.runIf(existsSync(committed))("records the score of the committed incremental report (rerun `npm run mutate:score` after `npm run mutate`)", () => {
    const report = JSON.parse(readFileSync(committed, "utf8")) as { files: FileResultDictionary };
    const docs = readFileSync(join(repoRoot, "docs", "testing.md"), "utf8");
    expect(docs).toContain(summarize(report.files, false, repoRoot));
  });
});
