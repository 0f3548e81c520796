import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ACTIVITY_STAGES, Activities } from "../../src/activities/catalog";
import { DeploymentNotification, ERROR_STAGES, STAGE_NAMES } from "../../src/contracts";
import { repoRoot } from "../support/samples";

describe("one list of stage names", () => {
  it("the catalog gives every activity the stages that call it, and the pipeline doc's table says the same", () => {
    expect(Object.keys(ACTIVITY_STAGES).sort()).toEqual(Object.keys(Activities).sort());
    const doc = readFileSync(join(repoRoot, "docs", "pipeline.md"), "utf8");
    for (const [name, stages] of Object.entries(ACTIVITY_STAGES)) {
      for (const stage of stages) expect(ERROR_STAGES).toContain(stage);
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, `docs/pipeline.md has a row for ${name}`).toBeDefined();
      const stageCell = row!.split("|")[2]!;
      const documented = STAGE_NAMES.filter((s) => new RegExp(`\\b${s}\\b`).test(stageCell)).concat(/\bnotify\b/.test(stageCell) ? ["notify" as never] : []);
      expect(documented.sort(), `${name}: the doc's Stage column`).toEqual([...stages].sort());
    }
  });

  it("a notification's error names a stage from the list, and nothing else", () => {
    const base = { schemaVersion: "1", outcome: "Failed", requestId: "r", instanceId: "i", workspace: null, endpoint: null, deployment: null, model: null, traffic: {}, stages: [], startedAt: "2026-01-01T00:00:00.000Z", endedAt: "2026-01-01T00:00:01.000Z" };
    for (const stage of ERROR_STAGES) expect(DeploymentNotification.safeParse({ ...base, error: { stage, code: "X", message: "m" } }).success).toBe(true);
    expect(DeploymentNotification.safeParse({ ...base, error: { stage: "rollback", code: "X", message: "m" } }).success).toBe(false);
  });
});
