import { appendFileSync } from "node:fs";

/**
 * The measurements behind docs/reliability.md. With FLOWDEPLOY_RELIABILITY_REPORT=<file> set, every
 * row a reliability test measured is appended to that file as one JSON line `{table, ...row}`;
 * otherwise nothing is written. Regenerate the doc's tables from a run:
 *
 *   FLOWDEPLOY_RELIABILITY_REPORT=/tmp/reliability.jsonl npx vitest run test/reliability
 */
export function reportRow(table: string, row: Record<string, unknown>): void {
  const file = process.env["FLOWDEPLOY_RELIABILITY_REPORT"];
  if (file) appendFileSync(file, `${JSON.stringify({ table, ...row })}\n`);
}
