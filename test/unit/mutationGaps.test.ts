import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parityReasons, wordSimilarity } from "../../src/domain/parity";
import { deploymentsBeyondRetention, promptFlowToRetire } from "../../src/domain/retention";
import { propagationMinutesOf, TARGET_PROPAGATION, targetKindOf } from "../../src/domain/targets";
import { LOOPBACK_HOSTS, LOOPBACK_LISTEN_HOSTS, loopbackListenHost } from "../../src/domain/loopback";
import { INTERIM_OUTCOMES, isFinalOutcome } from "../../src/domain/outcomes";
import { OUTCOMES } from "../../src/contracts/notification";
import { isPinned, retiringImageWarning } from "../../src/domain/promptFlowRuntime";
import { roleGuidOf } from "../../src/domain/roles";
import { othersShare, trafficAtStep, type Traffic } from "../../src/domain/traffic";
import { canonicalJson } from "../../src/domain/canonicalJson";
import { systemClock } from "../../src/domain/clock";
import { APPROVAL_EVENT, CANCEL_EVENT, ENDPOINT_LOCK_ENTITY, INSTANCE_ID_PATTERN, instanceIdFor, requestDigest, roleAssignmentName } from "../../src/domain/ids";
import { later } from "../../src/domain/time";

/**
 * Boundaries the mutation runs (docs/testing.md) found untested: each expectation here fails on one
 * of the surviving mutants of src/domain/{parity,retention,targets,loopback,outcomes,traffic,
 * promptFlowRuntime,roles}.ts.
 */
describe("parity rules at their edges", () => {
  it("quote a missing value as (missing), 40 characters whole and 41 cut", () => {
    expect(parityReasons({ a: 1 }, {}, { exactFields: ["a"] })).toEqual(['a: agent (missing), prompt flow 1']);
    const forty = `"${"x".repeat(38)}"`;
    expect(forty).toHaveLength(40);
    expect(parityReasons({ a: "y" }, { a: "x".repeat(38) }, { exactFields: ["a"] })).toEqual([`a: agent ${forty}, prompt flow "y"`]);
    expect(parityReasons({ a: "y" }, { a: "x".repeat(39) }, { exactFields: ["a"] })).toEqual([`a: agent "${"x".repeat(39)}…, prompt flow "y"`]);
  });

  it("read fields only from JSON objects: an array, null or a text answer has none", () => {
    expect(parityReasons("text", "text", { requiredFields: ["length"] })).toEqual(["length: missing from the agent's answer"]);
    expect(parityReasons([1], ["x"], { requiredFields: ["0"] })).toEqual(["0: missing from the agent's answer"]);
    expect(parityReasons(null, null, { requiredFields: ["a"] })).toEqual(["a: missing from the agent's answer"]);
    expect(parityReasons({ a: 1 }, { a: 1 }, { requiredFields: ["a"] })).toEqual([]);
  });

  it("tell a field missing from both answers from one missing from either", () => {
    expect(parityReasons({}, {}, { exactFields: ["a"] })).toEqual(["a: missing from both answers"]);
    expect(parityReasons({ a: 1 }, {}, { exactFields: ["a"] })).toEqual(["a: agent (missing), prompt flow 1"]);
    expect(parityReasons({}, { a: 1 }, { exactFields: ["a"] })).toEqual(["a: agent 1, prompt flow (missing)"]);
    expect(parityReasons({ a: 1 }, { a: 1 }, { exactFields: ["a"] })).toEqual([]);
  });

  it("accept a number exactly at the tolerance, and name which answer is not a number", () => {
    const rule = { numericTolerance: { fields: ["s"], absolute: 0.5 } };
    expect(parityReasons({ s: 1 }, { s: 1.5 }, rule)).toEqual([]);
    // 0.5000001 apart, shown to six significant digits.
    expect(parityReasons({ s: 1 }, { s: 1.5000001 }, rule)).toEqual(["s: agent 1.5000001, prompt flow 1, 0.5 apart (tolerance 0.5)"]);
    expect(parityReasons({ s: "1" }, { s: 1 }, rule)).toEqual(['s: not a number in both answers (agent 1, prompt flow "1")']);
    expect(parityReasons({ s: 1 }, { s: "1" }, rule)).toEqual(['s: not a number in both answers (agent "1", prompt flow 1)']);
  });

  it("accept a similarity exactly at the threshold, and need text in both answers", () => {
    const rule = (threshold: number) => ({ similarity: { fields: ["t"], threshold } });
    // {a b c} vs {a b d}: 2 shared of 4 words = 0.5.
    expect(parityReasons({ t: "a b c" }, { t: "a b d" }, rule(0.5))).toEqual([]);
    expect(parityReasons({ t: "a b c" }, { t: "a b d" }, rule(0.51))).toEqual(['t: word similarity 0.50 below 0.51 (agent "a b d", prompt flow "a b c")']);
    expect(parityReasons({ t: 1 }, { t: "a" }, rule(0))).toEqual(['t: not text in both answers (agent "a", prompt flow 1)']);
    expect(parityReasons({ t: "a" }, { t: 1 }, rule(0))).toEqual(['t: not text in both answers (agent 1, prompt flow "a")']);
  });

  it("compare words ignoring case, and an empty text with a non-empty one as 0", () => {
    expect(wordSimilarity("ÉCOLE Straße", "école straße")).toBe(1);
    expect(wordSimilarity("word", "")).toBe(0);
    expect(wordSimilarity("", "word")).toBe(0);
    expect(wordSimilarity("!!!", "???")).toBe(1);
    // Lower case, not upper: "ß" stays one letter ("STRASSE" would make the two words equal).
    expect(wordSimilarity("straße", "strasse")).toBe(0);
  });
});

describe("retention (rollout.keepPrevious)", () => {
  const d = (name: string, createdAt: string | null, more: Partial<{ managed: boolean; traffic: number; mirror: number }> = {}) => ({ name, createdAt, managed: true, traffic: 0, mirror: 0, ...more });
  const day = (n: number) => `2026-11-${String(n).padStart(2, "0")}T00:00:00.000Z`;

  it("keeps the newest N idle managed deployments and deletes the rest, oldest last", () => {
    const list = [d("a", day(1)), d("b", day(3)), d("c", day(2)), d("new", day(4))];
    expect(deploymentsBeyondRetention(list, 0, "new")).toEqual(["b", "c", "a"]);
    expect(deploymentsBeyondRetention(list, 1, "new")).toEqual(["c", "a"]);
    expect(deploymentsBeyondRetention(list, 3, "new")).toEqual([]);
  });

  it("never deletes the new one (any case), a live, mirrored, unmanaged or ageless one", () => {
    const list = [d("NEW", day(1)), d("live", day(1), { traffic: 1 }), d("mirrored", day(1), { mirror: 1 }), d("theirs", day(1), { managed: false }), d("ageless", null), d("old", day(1))];
    expect(deploymentsBeyondRetention(list, 0, "new")).toEqual(["old"]);
    expect(deploymentsBeyondRetention(list, 0, "New")).toEqual(["old"]);
  });

  it("orders deployments of the same age by name", () => {
    expect(deploymentsBeyondRetention([d("b", day(1)), d("a", day(1))], 0, "x")).toEqual(["a", "b"]);
  });
});

describe("a migration's retirement", () => {
  const d = (name: string, createdAt: string | null) => ({ name, promptFlow: true, traffic: 0, mirror: 0, createdAt });
  it("spares the new deployment whatever its case, and counts an unknown age as the oldest", () => {
    expect(promptFlowToRetire([d("Green", "2026-11-01T00:00:00Z"), d("blue", "2026-10-01T00:00:00Z")], "GREEN", 0)).toEqual(["blue"]);
    expect(promptFlowToRetire([d("ageless", null), d("dated", "2026-10-01T00:00:00Z")], "x", 1)).toEqual(["ageless"]);
    expect(promptFlowToRetire([d("dated", "2026-10-01T00:00:00Z"), d("ageless", null)], "x", 1)).toEqual(["ageless"]);
    expect(promptFlowToRetire([d("old", "2026-09-01T00:00:00Z"), d("newest", "2026-11-01T00:00:00Z"), d("mid", "2026-10-01T00:00:00Z")], "x", 1)).toEqual(["mid", "old"]);
  });
});

describe("targets", () => {
  it("name the kind a request deploys", () => {
    expect(targetKindOf({ flow: {} })).toBe("flow");
    expect(targetKindOf({ model: {} })).toBe("model");
    expect(targetKindOf({ agent: {} })).toBe("agent");
    expect(targetKindOf({})).toBe("flow");
  });

  it("give each kind its documented wait", () => {
    expect(TARGET_PROPAGATION).toEqual({
      flow: { defaultMinutes: 16, minimumMinutes: 15, why: "role assignments can take more than 15 minutes to take effect for prompt flow deployments" },
      model: { defaultMinutes: 16, minimumMinutes: 15, why: "role assignments can take more than 15 minutes to take effect for prompt flow deployments" },
      agent: { defaultMinutes: 11, minimumMinutes: 10, why: "role assignments can take up to 10 minutes to take effect" },
    });
    expect(propagationMinutesOf({ model: {} })).toBe(16);
    expect(propagationMinutesOf({ agent: {}, propagationMinutes: 30 })).toBe(30);
  });
});

/** The quick pass over all of src/domain: these two were tested only through the CLI's child processes. */
describe("loopback addresses", () => {
  // The brackets come off only when they wrap the whole host: "1[27.0.0.1]" and "[127.0.0].1" must not become 127.0.0.1.
  it("takes only this machine's addresses, in the form listen() wants", () => {
    expect(loopbackListenHost("[::1]")).toBe("::1");
    expect(loopbackListenHost(" LOCALHOST ")).toBe("localhost");
    expect(loopbackListenHost("127.0.0.1")).toBe("127.0.0.1");
    for (const host of ["0.0.0.0", "::", "127.0.0.2", "192.168.1.4", "localhost.example.com", "[::1", "", "[]", "1[27.0.0.1]", "[127.0.0].1"]) expect(loopbackListenHost(host), host).toBeUndefined();
  });

  it("lists the URL host names plain http may reach, and the listen addresses, exactly", () => {
    expect([...LOOPBACK_HOSTS].sort()).toEqual(["127.0.0.1", "[::1]", "localhost"]);
    expect([...LOOPBACK_LISTEN_HOSTS].sort()).toEqual(["127.0.0.1", "::1", "localhost"]);
  });
});

describe("final outcomes", () => {
  it("every outcome ends its run except AwaitingApproval", () => {
    expect(INTERIM_OUTCOMES).toEqual(["AwaitingApproval"]);
    expect(OUTCOMES.filter(isFinalOutcome)).toEqual(["Succeeded", "Failed", "Rejected", "Cancelled"]);
  });
});

describe("traffic splits in whole percents", () => {
  const total = (t: Traffic) => Object.values(t).reduce((sum, p) => sum + p, 0);

  it("give the rounding remainder to the largest fraction first, whichever order the map lists them in", () => {
    expect(trafficAtStep({ a: 1, b: 2 }, "new", 0)).toEqual({ a: 33, b: 67, new: 0 });
    expect(trafficAtStep({ a: 2, b: 1 }, "new", 0)).toEqual({ a: 67, b: 33, new: 0 });
    expect(trafficAtStep({ a: 1, b: 1, c: 1 }, "new", 0)).toEqual({ a: 34, b: 33, c: 33, new: 0 });
    expect(trafficAtStep({ a: 5, b: 3, c: 2 }, "new", 7)).toEqual({ a: 46, b: 28, c: 19, new: 7 });
    expect(trafficAtStep({ a: 2, b: 3, c: 5 }, "new", 7)).toEqual({ a: 19, b: 28, c: 46, new: 7 });
  });

  it("break a tie between equal fractions in favour of the larger share", () => {
    expect(trafficAtStep({ a: 1, b: 3 }, "new", 98)).toEqual({ a: 0, b: 2, new: 98 });
    expect(trafficAtStep({ a: 3, b: 1 }, "new", 98)).toEqual({ a: 2, b: 0, new: 98 });
  });

  it("leave the new deployment's own earlier share out of what the others split (a canary's next step)", () => {
    expect(othersShare({ a: 45, b: 45, green: 10 }, "green")).toBe(90);
    const step = trafficAtStep({ a: 45, b: 45, green: 10 }, "green", 51);
    expect(step).toEqual({ a: 25, b: 24, green: 51 });
    expect(total(step)).toBe(100);
  });
});

describe("the prompt flow serving image", () => {
  const digest = "0123456789abcdef".repeat(4);

  it("is pinned only by a whole sha256 digest at the end of the reference", () => {
    expect(isPinned(`mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${digest}`)).toBe(true);
    expect(isPinned(`mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${digest}0`)).toBe(false);
    expect(isPinned(`mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${digest}/x`)).toBe(false);
  });

  it("is a retiring runtime image by its exact repository name, tagged, pinned or neither", () => {
    expect(retiringImageWarning("mcr.microsoft.com/azureml/promptflow/promptflow-runtime")).toMatch(/^This deployment runs a prompt flow runtime image \(mcr\.microsoft\.com\/azureml\/promptflow\/promptflow-runtime\)/);
    expect(retiringImageWarning("mcr.microsoft.com/azureml/promptflow/promptflow-python:latest")).not.toBeNull();
    expect(retiringImageWarning("mcr.microsoft.com/azureml/promptflow/promptflow-runtime-extra:1")).toBeNull();
  });

  it("shortens a digest in the warning to its first 12 digits only when the digest ends the reference", () => {
    expect(retiringImageWarning(`mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${digest}`)).toContain(`(mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${digest.slice(0, 12)}…)`);
    expect(retiringImageWarning(`mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${digest}Z`)).toContain(`@sha256:${digest}Z)`);
  });
});

describe("role definition ids", () => {
  it("compare by the GUID after the last slash, in lower case, whatever comes before it", () => {
    expect(roleGuidOf("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/AB-CD")).toBe("ab-cd");
    expect(roleGuidOf("AB-CD")).toBe("ab-cd");
    expect(roleGuidOf("roleDefinitions/")).toBe("");
  });
});

describe("canonical JSON", () => {
  it("sorts object keys at every depth, whatever order they came in, and leaves arrays and null as they are", () => {
    expect(canonicalJson({ e: 1, d: 2, c: 3, b: 4, a: 5 })).toBe('{"a":5,"b":4,"c":3,"d":2,"e":1}');
    expect(canonicalJson({ b: { z: 1, y: [2, 1], x: null }, a: "v" })).toBe('{"a":"v","b":{"x":null,"y":[2,1],"z":1}}');
    expect(canonicalJson([{ b: 1, a: 2 }, 3])).toBe('[{"a":2,"b":1},3]');
  });
});

describe("the system clock", () => {
  it("reads the machine's time, as a Date", () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeInstanceOf(Date);
    expect(now.getTime()).toBeGreaterThanOrEqual(before);
    expect(now.getTime()).toBeLessThanOrEqual(Date.now());
  });
});

describe("ids and names on the wire", () => {
  it("name a role assignment the same whatever the case of scope, principal and role, pinned", () => {
    const name = "8757ea5d-ea9e-5460-a1df-ff96f049389f";
    expect(roleAssignmentName("/subscriptions/s/resourcegroups/rg", "principal-abc", "role")).toBe(name);
    expect(roleAssignmentName("/subscriptions/S/resourceGroups/RG", "PrIncipal-ABC", "RoLe")).toBe(name);
  });

  it("hash request ids and bodies as UTF-8 bytes", () => {
    const sha = (text: string) => createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex").slice(0, 32);
    expect(instanceIdFor("déploiement-✓")).toBe(`deploy-${sha("déploiement-✓")}`);
    expect(requestDigest('{"name":"café"}')).toBe(`r-${sha('{"name":"café"}')}`);
  });

  it("keep the entity and external event names an existing instance waits on", () => {
    expect([ENDPOINT_LOCK_ENTITY, CANCEL_EVENT, APPROVAL_EVENT]).toEqual(["endpointLock", "cancel", "approval"]);
  });

  it("accept as an instance id only 1 to 100 letters, digits and dashes, the whole id", () => {
    for (const ok of ["deploy-0123abcd", "a", "x".repeat(100)]) expect(INSTANCE_ID_PATTERN.test(ok)).toBe(true);
    for (const bad of ["", "x".repeat(101), "deploy/x", "/deploy", "deploy/", "deploy x", "déploy"]) expect(INSTANCE_ID_PATTERN.test(bad)).toBe(false);
  });
});

describe("the later of two instants", () => {
  it("is whichever is later, in either order, and the first when they are equal", () => {
    const a = new Date("2026-01-01T00:00:00Z");
    const b = new Date("2026-01-01T00:00:01Z");
    expect(later(a, b)).toBe(b);
    expect(later(b, a)).toBe(b);
    const same = new Date(a.getTime());
    expect(later(a, same)).toBe(a);
  });
});
