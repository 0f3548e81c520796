import { describe, expect, it } from "vitest";
import { isIdentityAllowed, isResourceAllowed, isWorkspaceAllowed } from "../../src/intake/allowlist";

/**
 * The allow-lists compare whole resource ids (ignoring case, as ARM does): a name that starts like an
 * allowed one, the same name in another resource group or subscription, or an id with a child path
 * is not allowed. Each near miss is one a prefix, suffix or "contains" comparison would let through.
 */
const SUB = "00000000-1111-2222-3333-444444444444";
const ws = (name: string, rg = "rg-promptflow", sub = SUB) => ({ subscriptionId: sub, resourceGroup: rg, name });
const ALLOWED = [`/subscriptions/${SUB}/resourceGroups/rg-promptflow/providers/Microsoft.MachineLearningServices/workspaces/ws-promptflow`];

describe("FLOWDEPLOY_ALLOWED_WORKSPACES", () => {
  it("allows the listed workspace, whatever the case", () => {
    expect(isWorkspaceAllowed(ALLOWED, ws("ws-promptflow"))).toBe(true);
    expect(isWorkspaceAllowed(ALLOWED, ws("WS-PromptFlow", "RG-PROMPTFLOW"))).toBe(true);
  });

  it.each([
    ["a longer name", ws("ws-promptflow2")],
    ["a shorter name", ws("ws-prompt")],
    ["the same name in another resource group", ws("ws-promptflow", "rg-other")],
    ["the same name in a resource group that starts alike", ws("ws-promptflow", "rg-promptflow-dev")],
    ["the same name in another subscription", ws("ws-promptflow", "rg-promptflow", "99999999-1111-2222-3333-444444444444")],
  ])("refuses %s", (_label, workspace) => {
    expect(isWorkspaceAllowed(ALLOWED, workspace)).toBe(false);
  });

  it("allows nothing when empty, anything with '*'", () => {
    expect(isWorkspaceAllowed([], ws("ws-promptflow"))).toBe(false);
    expect(isWorkspaceAllowed(["*"], ws("anything"))).toBe(true);
  });
});

describe("FLOWDEPLOY_EXTRA_ROLE_SCOPES and FLOWDEPLOY_ALLOWED_IDENTITIES", () => {
  const account = `/subscriptions/${SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/contoso-ai`;
  const identity = `/subscriptions/${SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-id`;
  it("compare whole ids: no prefix, suffix or child path passes", () => {
    expect(isResourceAllowed([account], account.toUpperCase())).toBe(true);
    for (const near of [`${account}2`, account.slice(0, -1), `${account}/deployments/gpt`, account.replace("rg-ai", "rg-ai2"), `x${account}`]) {
      expect(isResourceAllowed([account], near), near).toBe(false);
    }
    expect(isIdentityAllowed([identity], { type: "UserAssigned", resourceId: identity })).toBe(true);
    expect(isIdentityAllowed([identity], { type: "UserAssigned", resourceId: `${identity}-2` })).toBe(false);
    expect(isIdentityAllowed([identity], { type: "UserAssigned" })).toBe(false);
    expect(isIdentityAllowed([], { type: "SystemAssigned" })).toBe(true);
  });
});
