import { backedOffInterval } from "../../orchestrations/pollDelays";
import { DEFAULT_POLL_POLICIES as POLICIES } from "../../src/contracts/orchestration";
import { describe, expect, it } from "vitest";
import { endpointLockKey, instanceIdFor, notificationMessageId, requestDigest, roleAssignmentName } from "../../src/domain/ids";
import { pollDelaySeconds } from "../../orchestrations/pollDelays";
import { DEFAULT_POLL_POLICIES } from "../../src/contracts/orchestration";
import { roleGuidOf, rolesFor, RoleIds } from "../../src/domain/roles";
import { propagationDeadline, secondsBetween } from "../../src/domain/time";
import { replacedDeployments, trafficAfterRollout } from "../../src/domain/traffic";

describe("deterministic ids", () => {
  it("derive the instance id from the request id only", () => {
    expect(instanceIdFor("req-1")).toBe(instanceIdFor("req-1"));
    expect(instanceIdFor("req-1")).not.toBe(instanceIdFor("req-2"));
    expect(instanceIdFor("req-1")).toMatch(/^deploy-[0-9a-f]{32}$/);
  });

  it("name a role assignment by a UUIDv5 of scope, principal and role, case-insensitively", () => {
    const a = roleAssignmentName("/subscriptions/S/rg", "P", RoleIds.acrPull);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(roleAssignmentName("/subscriptions/s/RG", "p", RoleIds.acrPull.toUpperCase())).toBe(a);
    expect(roleAssignmentName("/subscriptions/S/rg", "P", RoleIds.storageBlobDataReader)).not.toBe(a);
  });

  it("give one notification message id per instance and outcome", () => {
    expect(notificationMessageId("i", "Succeeded")).toBe(notificationMessageId("i", "Succeeded"));
    expect(notificationMessageId("i", "Succeeded")).not.toBe(notificationMessageId("i", "Failed"));
  });

  // Pinned values (computed independently: Python's hashlib.sha256 and uuid.uuid5 with flowdeploy's
  // namespace). An upgrade that changes any of them breaks idempotency across versions: a redelivered
  // request would start a second instance, a retried grant would create a twin assignment, a resent
  // notification would not be a duplicate. Such a change must fail here.
  it("are pinned: the same inputs give the same ids in every version", () => {
    expect(instanceIdFor("web-classification-2026-11-23-001")).toBe("deploy-c3b6d5b8a0408a3011acdf26d293e0a3");
    expect(
      roleAssignmentName("/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow", "11111111-2222-3333-4444-555555555555", RoleIds.connectionSecretsReader),
    ).toBe("d9ba32b1-5df7-5c71-a89e-1dc8431a49b0");
    expect(notificationMessageId("deploy-0123", "Succeeded")).toBe("5b19e944-0876-5cad-b149-217f64d28092");
    expect(requestDigest('{"a":1}')).toBe("r-015abd7f5cc57a2dd94b7590f04ad808");
    expect(endpointLockKey({ subscriptionId: "S", resourceGroup: "RG", name: "WS" }, "Web-Classify")).toBe("s:rg:ws:web-classify");
  });
});

describe("propagation deadline", () => {
  it("counts from the grant and never allows less than the target's minimum", () => {
    expect(secondsBetween("2026-01-01T00:00:00Z", propagationDeadline("2026-01-01T00:00:00Z", 16, 15))).toBe(960);
    expect(secondsBetween("2026-01-01T00:00:00Z", propagationDeadline("2026-01-01T00:00:00Z", 5, 15))).toBe(900);
    expect(secondsBetween("2026-01-01T00:00:00Z", propagationDeadline("2026-01-01T00:00:00Z", 5, 10))).toBe(600);
  });
});

describe("roles", () => {
  it("grant only the secrets reader to system-assigned identities, plus AcrPull, blob reader and metrics writer to user-assigned ones", () => {
    expect(rolesFor("SystemAssigned").map((r) => r.roleDefinitionGuid)).toEqual([RoleIds.connectionSecretsReader]);
    expect(rolesFor("UserAssigned").map((r) => [r.on, r.roleDefinitionGuid])).toEqual([
      ["workspace", RoleIds.connectionSecretsReader],
      ["containerRegistry", RoleIds.acrPull],
      ["storageAccount", RoleIds.storageBlobDataReader],
      ["workspace", RoleIds.metricsWriter],
    ]);
    expect(roleGuidOf(`/providers/Microsoft.Authorization/roleDefinitions/${RoleIds.acrPull.toUpperCase()}`)).toBe(RoleIds.acrPull);
  });
});

describe("traffic policy", () => {
  it("blue/green keeps previous deployments at 0%; replace drops them", () => {
    expect(trafficAfterRollout({ blue: 100 }, "green", "blueGreen")).toEqual({ blue: 0, green: 100 });
    expect(trafficAfterRollout({ blue: 100 }, "green", "replace")).toEqual({ green: 100 });
    expect(trafficAfterRollout({}, "green", "blueGreen")).toEqual({ green: 100 });
    expect(replacedDeployments({ blue: 100, green: 0 }, "green")).toEqual(["blue"]);
  });
});

describe("poll policy", () => {
  it("honours Retry-After within the floor", () => {
    expect(pollDelaySeconds(DEFAULT_POLL_POLICIES.deployment, null)).toBe(30);
    expect(pollDelaySeconds(DEFAULT_POLL_POLICIES.deployment, 60)).toBe(60);
    expect(pollDelaySeconds(DEFAULT_POLL_POLICIES.deployment, 1)).toBe(10);
  });
});

describe("first poll", () => {
  it("waits the policy's first delay when the service gave no Retry-After", () => {
    expect(pollDelaySeconds(DEFAULT_POLL_POLICIES.endpoint, null, undefined, true)).toBe(30);
    expect(pollDelaySeconds(DEFAULT_POLL_POLICIES.endpoint, null)).toBe(10);
    expect(pollDelaySeconds(DEFAULT_POLL_POLICIES.endpoint, 12, undefined, true)).toBe(12);
  });
});

describe("idle polling before a deadline", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  it("spaces polls by the idle interval but never past the deadline, then returns to the normal interval", () => {
    const policy = DEFAULT_POLL_POLICIES.deployment;
    expect(pollDelaySeconds(policy, null, { now, until: new Date(now.getTime() + 15 * 60_000) })).toBe(480);
    expect(pollDelaySeconds(policy, null, { now, until: new Date(now.getTime() + 50_000) })).toBe(50);
    expect(pollDelaySeconds(policy, null, { now, until: new Date(now.getTime() - 1000) })).toBe(30);
  });
});

describe("poll backoff (issue 15 item 5)", () => {
  it("grows the busy interval by the factor up to the cap; no backoff without a factor", () => {
    expect([0, 1, 2, 3, 4].map((n) => backedOffInterval(POLICIES.deployment, n))).toEqual([30, 60, 120, 120, 120]);
    expect([0, 1, 2, 3].map((n) => backedOffInterval(POLICIES.endpoint, n))).toEqual([10, 20, 30, 30]);
    expect(backedOffInterval({ ...POLICIES.traffic, backoffFactor: undefined }, 5)).toBe(15);
  });
});
