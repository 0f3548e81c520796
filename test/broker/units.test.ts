import { describe, expect, it } from "vitest";
import { matchesSubscription, validateFilter } from "../../src/local/broker/correlationFilter";
import { DuplicateDetector } from "../../src/local/broker/duplicateDetection";
import { parseEntityPath } from "../../src/local/broker/entityPaths";
import { deliveryTagFor, lockKeyFromRequest, newLockToken, swapGuidByteOrder } from "../../src/local/broker/lockToken";
import { SequenceHeap } from "../../src/local/broker/sequenceHeap";

/** The broker's pure pieces, without sockets. */

describe("entity paths", () => {
  it("parses the addresses and audiences the SDK uses", () => {
    expect(parseEntityPath("deploy-requests")).toEqual({ entity: "deploy-requests", deadLetter: false, management: false });
    expect(parseEntityPath("t/Subscriptions/s")).toEqual({ entity: "t", subscription: "s", deadLetter: false, management: false });
    expect(parseEntityPath("t/subscriptions/s/$DeadLetterQueue")).toMatchObject({ subscription: "s", deadLetter: true });
    expect(parseEntityPath("q/$deadletterqueue/$management")).toMatchObject({ entity: "q", deadLetter: true, management: true });
    expect(parseEntityPath("sb://127.0.0.1:5672/q/$management")).toMatchObject({ entity: "q", management: true });
    expect(parseEntityPath("sb://127.0.0.1:5672/")).toBeUndefined();
    expect(parseEntityPath("a/b")).toBeUndefined();
  });
});

describe("correlation filters", () => {
  const msg = { subject: "Succeeded", correlation_id: "deploy-1", application_properties: { outcome: "Succeeded", attempt: 2, final: true } };

  it("matches when every named property is equal, by value and type", () => {
    expect(matchesSubscription(undefined, msg)).toBe(true);
    expect(matchesSubscription({ correlation: { applicationProperties: { outcome: "Succeeded", attempt: 2 } } }, msg)).toBe(true);
    expect(matchesSubscription({ correlation: { applicationProperties: { attempt: "2" } } }, msg)).toBe(false);
    expect(matchesSubscription({ correlation: { applicationProperties: { missing: "x" } } }, msg)).toBe(false);
    expect(matchesSubscription({ correlation: { subject: "Succeeded", correlationId: "deploy-1" } }, msg)).toBe(true);
    expect(matchesSubscription({ correlation: { subject: "Failed" } }, msg)).toBe(false);
  });

  it("refuses filters it cannot evaluate", () => {
    expect(() => validateFilter("t/Subscriptions/s", { sql: "1=1" } as never)).toThrow(/only correlation filters/);
    expect(() => validateFilter("t/Subscriptions/s", { correlation: { applicationProperties: { x: {} as never } } })).toThrow(/string, number or boolean/);
  });
});

describe("duplicate detection", () => {
  it("drops an id seen within the window and forgets it after the window", () => {
    let now = 0;
    const d = new DuplicateDetector(10 * 60_000, () => now);
    expect(d.isDuplicate("a")).toBe(false);
    now += 9 * 60_000;
    expect(d.isDuplicate("a")).toBe(true);
    expect(d.isDuplicate("b")).toBe(false);
    now += 60_000; // "a" is 10 minutes old now
    expect(d.isDuplicate("a")).toBe(false);
    expect(d.size).toBe(2);
  });
});

describe("lock tokens", () => {
  it("puts the .NET GUID byte order in the delivery tag and reads request tokens back", () => {
    const t = newLockToken();
    const tag = deliveryTagFor(t);
    expect(swapGuidByteOrder(tag).equals(t.bytes)).toBe(true);
    expect([...tag.subarray(0, 4)]).toEqual([...t.bytes.subarray(0, 4)].reverse());
    expect(tag.subarray(8).equals(t.bytes.subarray(8))).toBe(true);
    expect(lockKeyFromRequest(t.bytes)).toBe(t.key);
  });
});

describe("sequence heap", () => {
  it("always yields the lowest sequence number", () => {
    const h = new SequenceHeap<{ sequenceNumber: number }>();
    const order = [5, 3, 9, 1, 7, 2, 8, 6, 4];
    for (const n of order) h.push({ sequenceNumber: n });
    const out: number[] = [];
    while (h.size) out.push(h.pop()!.sequenceNumber);
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
