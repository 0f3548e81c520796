import { describe, expect, it } from "vitest";
import { formatIssues, parseDeployRequest } from "../../src/contracts";
import { trafficAfterRollout, trafficAtStep } from "../../src/domain/traffic";
import { sampleRequest } from "../support/samples";

describe("canary traffic splits", () => {
  it("gives the new deployment its share and keeps the others' proportions in whole percents adding up to 100", () => {
    expect(trafficAtStep({ blue: 100 }, "green", 10)).toEqual({ blue: 90, green: 10 });
    expect(trafficAtStep({ blue: 70, red: 30 }, "green", 10)).toEqual({ blue: 63, red: 27, green: 10 });
    const odd = trafficAtStep({ a: 33, b: 33, c: 34 }, "n", 25);
    expect(Object.values(odd).reduce((x, y) => x + y, 0)).toBe(100);
    expect(odd.n).toBe(25);
    for (const p of [1, 7, 33, 50, 99]) {
      const split = trafficAtStep({ blue: 55, red: 45, idle: 0 }, "green", p);
      expect(Object.values(split).every(Number.isInteger)).toBe(true);
      expect(Object.values(split).reduce((x, y) => x + y, 0)).toBe(100);
      expect(split.green).toBe(p);
      expect(split.idle).toBe(0);
    }
  });

  it("ends a canary as blue/green does: the previous deployments stay at 0%", () => {
    expect(trafficAfterRollout({ blue: 90, green: 10 }, "green", "canary")).toEqual({ blue: 0, green: 100 });
  });
});

describe("rollout request fields", () => {
  const withRollout = (rollout: unknown) => parseDeployRequest({ ...sampleRequest(), rollout });
  const issues = (rollout: unknown) => {
    const r = withRollout(rollout);
    return r.ok ? [] : formatIssues(r.issues);
  };

  it("a canary needs ascending steps and an analysis", () => {
    expect(withRollout({ strategy: "canary", steps: [{ percent: 10, bakeMinutes: 15 }, { percent: 50, bakeMinutes: 15 }], analysis: { maxErrorRatePercent: 1 } }).ok).toBe(true);
    expect(issues({ strategy: "canary" }).join("\n")).toMatch(/rollout\.steps.*required for strategy "canary"[\s\S]*rollout\.analysis.*required/);
    expect(issues({ strategy: "canary", steps: [{ percent: 50, bakeMinutes: 5 }, { percent: 10, bakeMinutes: 5 }], analysis: { maxErrorRatePercent: 1 } }).join()).toMatch(/rollout\.steps\[1\]\.percent.*above the step before \(50\)/);
    expect(issues({ strategy: "canary", steps: [{ percent: 100, bakeMinutes: 5 }], analysis: { maxErrorRatePercent: 1 } }).join()).toMatch(/rollout\.steps\[0\]\.percent/);
    expect(issues({ strategy: "blueGreen", steps: [{ percent: 10, bakeMinutes: 5 }] }).join()).toMatch(/rollout\.steps.*only for strategy "canary"/);
  });

  it("an approval is bounded, and names no one who may approve (that is the app's setting)", () => {
    const ok = withRollout({ approval: { required: true } });
    expect(ok.ok && ok.value.rollout.approval).toEqual({ required: true, timeoutMinutes: 60 });
    expect(issues({ approval: { required: true, timeoutMinutes: 24 * 60 + 1 } }).join()).toMatch(/rollout\.approval\.timeoutMinutes/);
    expect(issues({ approval: { required: true, allowedApprovers: ["me"] } }).join()).toMatch(/rollout\.approval/);
  });
});
