import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { BROWSER_DOM } from "../../src/statusPage/browser/dom";
import { BROWSER_TIMELINE } from "../../src/statusPage/browser/timeline";

/**
 * The timeline's model, the part of the page's script that decides what is drawn where: run in Node
 * from the same text the page serves (no DOM needed), on status bodies shaped as GET
 * /api/deployments/{id} answers them. test/statusPage/browser.test.ts checks the drawing in Chromium.
 */
interface Row {
  kind: "stage" | "bake";
  name: string;
  note: string;
  outcome: string;
  start: number;
  end: number;
  open: boolean;
  until: number | null;
  untilText: string;
}
interface Model {
  from: number;
  to: number;
  rows: Row[];
  markers: Array<{ kind: string; at: number; text: string }>;
  ticks: { step: number; at: number[] };
}
const { timelineModel } = runInNewContext(`${BROWSER_DOM}\n${BROWSER_TIMELINE}\n({ timelineModel })`) as { timelineModel: (body: unknown) => Model };

const at = (hhmmss: string) => `2026-11-23T${hhmmss}.000Z`;
const t = (hhmmss: string) => Date.parse(at(hhmmss));
const stage = (name: string, start: string, end: string | null, outcome = end ? "Succeeded" : "Running", note?: string) => ({ name, startedAt: at(start), endedAt: end ? at(end) : null, outcome, ...(note ? { note } : {}) });

function running(customStatus: Record<string, unknown>) {
  return { outcome: "Running", runtimeStatus: "Running", createdTime: at("10:00:00"), lastUpdatedTime: customStatus["updatedAt"], customStatus, output: null };
}

describe("the timeline model", () => {
  it("draws a bar per stage record; a running one ends at the last update, and the propagation wait runs on, dashed, to its deadline, overlapping the deployment", () => {
    const model = timelineModel(
      running({
        stage: "deployment",
        stages: [stage("endpoint", "10:00:00", "10:01:30"), stage("roles", "10:01:30", "10:01:30"), stage("propagation", "10:01:30", null), stage("model", "10:01:30", "10:01:30"), stage("deployment", "10:01:30", null)],
        propagationDeadline: at("10:17:30"),
        updatedAt: at("10:05:00"),
      }),
    );
    expect(model.rows.map((r) => [r.name, r.open])).toEqual([["endpoint", false], ["roles", false], ["propagation", true], ["model", false], ["deployment", true]]);
    const propagation = model.rows[2]!;
    expect(propagation).toMatchObject({ start: t("10:01:30"), end: t("10:05:00"), until: t("10:17:30"), untilText: "roles usable at 10:17:30" });
    const deployment = model.rows[4]!;
    expect(deployment.start).toBeLessThan(propagation.until!);
    expect(deployment.end).toBeGreaterThan(propagation.start);
    expect(model.markers).toEqual([
      { kind: "deadline", at: t("10:17:30"), text: "roles usable" },
      { kind: "now", at: t("10:05:00"), text: "last update" },
    ]);
    expect(model.from).toBe(t("10:00:00"));
    expect(model.to).toBe(t("10:17:30"));
    expect(model.ticks.at.length).toBeLessThanOrEqual(9);
    expect(model.ticks.at.every((x) => x >= model.from && x <= model.to && x % model.ticks.step === 0)).toBe(true);
  });

  it("an approval waits, dashed, until it expires; a canary step's bake is a row from the traffic move to bakeUntil", () => {
    const approval = timelineModel(
      running({
        stage: "approval",
        stages: [stage("smokeTest", "10:17:30", "10:17:30"), stage("approval", "10:17:30", null)],
        approval: { requestedAt: at("10:17:30"), expiresAt: at("12:17:30") },
        propagationDeadline: at("10:17:30"),
        updatedAt: at("10:17:30"),
      }),
    );
    expect(approval.rows[1]).toMatchObject({ name: "approval", open: true, until: t("12:17:30"), untilText: "answer by 12:17:30" });
    expect(approval.to).toBe(t("12:17:30"));

    const canary = timelineModel(
      running({
        stage: "traffic",
        stages: [stage("traffic", "10:18:00", "10:18:30", "Succeeded", "step 1 of 2: 10%")],
        canary: { step: 1, of: 2, percent: 10, bakeUntil: at("10:36:30") },
        propagationDeadline: at("10:17:30"),
        updatedAt: at("10:20:00"),
      }),
    );
    expect(canary.rows[1]).toEqual({ kind: "bake", name: "bake", note: "step 1 of 2: 10% live", outcome: "Running", start: t("10:18:30"), end: t("10:20:00"), open: true, until: t("10:36:30"), untilText: "judged after 10:36:30" });
  });

  it("a finished run: every bar closed, no last-update marker, and a deadline counted from an earlier run's grant is not put on the axis", () => {
    const model = timelineModel({
      outcome: "Failed",
      runtimeStatus: "Completed",
      createdTime: at("10:00:00"),
      lastUpdatedTime: at("10:12:00"),
      customStatus: {
        stage: "done",
        stages: [stage("propagation", "10:00:00", "10:12:00", "Skipped", "the roles were granted before this run"), stage("deployment", "10:00:00", "10:12:00", "Failed")],
        propagationDeadline: "2026-11-22T10:16:00.000Z",
        updatedAt: at("10:12:00"),
      },
      output: { outcome: "Failed", error: { stage: "deployment", code: "ImagePullFailure", message: "..." } },
    });
    expect(model.rows.map((r) => [r.name, r.outcome, r.open])).toEqual([["propagation", "Skipped", false], ["deployment", "Failed", false]]);
    expect(model.markers).toEqual([]);
    expect([model.from, model.to]).toEqual([t("10:00:00"), t("10:12:00")]);
  });

  it("shows a run with no custom status (queued, or a lock release) as an empty axis around its creation", () => {
    const model = timelineModel({ outcome: "Running", runtimeStatus: "Pending", createdTime: at("10:00:00"), lastUpdatedTime: at("10:00:00"), customStatus: null, output: null });
    expect(model.rows).toEqual([]);
    expect(model.to - model.from).toBe(60_000);
  });
});
