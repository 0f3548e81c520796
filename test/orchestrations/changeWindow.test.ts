import { describe, expect, it } from "vitest";
import { nextWindowOpening } from "../../src/domain/changeWindow";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/** rollout.window (issue 17 item 5): live traffic moves only inside the change window. */
describe("change windows", () => {
  const at = (iso: string) => new Date(iso);
  const weekdaysNineToFive = { days: ["Mon", "Tue", "Wed", "Thu", "Fri"] as const, startUtc: "09:00", endUtc: "17:00" };

  it("is open inside, and otherwise names the next opening", () => {
    // 2026-11-23 is a Monday.
    expect(nextWindowOpening(at("2026-11-23T10:00:00Z"), { ...weekdaysNineToFive, days: [...weekdaysNineToFive.days] })).toBeNull();
    expect(nextWindowOpening(at("2026-11-23T08:59:00Z"), { ...weekdaysNineToFive, days: [...weekdaysNineToFive.days] })).toEqual(at("2026-11-23T09:00:00Z"));
    expect(nextWindowOpening(at("2026-11-23T17:00:00Z"), { ...weekdaysNineToFive, days: [...weekdaysNineToFive.days] })).toEqual(at("2026-11-24T09:00:00Z"));
    // Friday evening → Monday morning.
    expect(nextWindowOpening(at("2026-11-27T18:00:00Z"), { ...weekdaysNineToFive, days: [...weekdaysNineToFive.days] })).toEqual(at("2026-11-30T09:00:00Z"));
  });

  it("a window past midnight belongs to the day it opens", () => {
    const night = { days: ["Sat" as const], startUtc: "22:00", endUtc: "02:00" };
    expect(nextWindowOpening(at("2026-11-29T01:00:00Z"), night)).toBeNull(); // Sunday 01:00, Saturday's window
    expect(nextWindowOpening(at("2026-11-29T02:00:00Z"), night)).toEqual(at("2026-12-05T22:00:00Z"));
  });

  it("through the whole stack: the smoke test passes at 10:18, the traffic moves when the window opens at 11:00", async () => {
    const request = sampleRequest();
    request.rollout = { strategy: "blueGreen", onFailure: "delete", window: { days: ["Mon"], startUtc: "11:00", endUtc: "12:00" } };
    const run = await deploy({ request, startAt: at("2026-11-23T10:00:00Z") });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { green: 100 } });
    const smoke = run.notification.stages.find((s) => s.name === "smokeTest")!;
    expect(Date.parse(smoke.endedAt!)).toBeLessThan(Date.parse("2026-11-23T11:00:00Z"));
    const trafficPut = run.requests.filter((r) => r.operation === "onlineEndpoints.createOrUpdate").pop()!;
    expect(Date.parse(trafficPut.time)).toBeGreaterThanOrEqual(Date.parse("2026-11-23T11:00:00Z"));
    expect(Date.parse(trafficPut.time)).toBeLessThan(Date.parse("2026-11-23T12:00:00Z"));
  });
});
