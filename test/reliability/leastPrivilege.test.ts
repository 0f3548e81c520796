import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ServiceBusClient } from "@azure/service-bus";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_QUEUE_NAME } from "../../src/client/connection";
import { parseConfig } from "../../src/config";
import { workspaceResourceId } from "../../src/contracts/common";
import { instanceIdFor } from "../../src/domain/ids";
import { AGENT_ROLES, RoleIds, rolesFor, EXTRA_ROLES } from "../../src/domain/roles";
import { serve, type RunningService } from "../../src/local/serve";
import { containerRegistryId, storageAccountId } from "../../src/local/simulator";
import { readJson, repoRoot, sampleRequest } from "../support/samples";
import { drainNotifications, recordedDeploy, recordStack, RELIABILITY_TIMER_LATENESS_SECONDS } from "./support/deploy";
import { recordArtifact, scanForLeaksAfterAll } from "./support/leaks";
import { reportRow } from "./support/report";

/**
 * Promise 8: least privilege and allowlists. Only workspaces listed in FLOWDEPLOY_ALLOWED_WORKSPACES
 * may be targeted — any other is Rejected at every entry point before a single ARM call; the endpoint
 * identity gets exactly the roles ../shared/DESIGN.md names, each at the narrowest scope; the HTTP
 * routes need a function key; and the README documents the Function App identity's own roles.
 * (test/host/mainGlob.test.ts checks authLevel on the compiled build; here it is checked on the sources.)
 */
scanForLeaksAfterAll();

const START = new Date("2026-11-23T10:00:00.000Z");
const SAMPLE_WS = sampleRequest()["workspace"] as { subscriptionId: string; resourceGroup: string; name: string };
const OTHER_WS = { subscriptionId: "99999999-8888-7777-6666-555555555555", resourceGroup: "rg-other", name: "ws-other" };
const EVENT = () => readJson<Record<string, any>>(join(repoRoot, "samples", "bulk-test-passed.event.json"));

let service: RunningService | undefined;
afterEach(async () => {
  if (service) recordStack(service.stack, "leastPrivilege");
  await service?.close();
  service = undefined;
});

const postEvent = (url: string, event: unknown) =>
  fetch(`${url}/runtime/webhooks/eventgrid?functionName=bulkTestEvents`, { method: "POST", headers: { "aeg-event-type": "Notification", "content-type": "application/json" }, body: JSON.stringify([event]) });

describe("only workspaces in FLOWDEPLOY_ALLOWED_WORKSPACES may be targeted", () => {
  it("rejects another workspace from the queue, Event Grid (both event kinds) and HTTP before any Azure call, and deploys to the listed one", async () => {
    // The setting as an operator writes it: ARM's casing, a second id, separators.
    const config = parseConfig({ FLOWDEPLOY_ALLOWED_WORKSPACES: `${workspaceResourceId(SAMPLE_WS)} ; /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-x/providers/Microsoft.MachineLearningServices/workspaces/ws-x` });
    service = await serve({ port: 0, startAt: START, runner: { timerLatenessSeconds: RELIABILITY_TIMER_LATENESS_SECONDS }, policy: { allowedWorkspaces: config.allowedWorkspaces } });
    const s = service;

    const other = sampleRequest();
    other["requestId"] = "other-workspace-queue";
    other["workspace"] = OTHER_WS;
    const sb = new ServiceBusClient(s.stack.serviceBusConnectionString);
    await sb.createSender(DEFAULT_QUEUE_NAME).sendMessages({ body: other, messageId: other["requestId"] });
    await sb.close();

    const viaHttp = { ...other, requestId: "other-workspace-http" };
    const http = await fetch(`${s.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(viaHttp) });
    const httpBody = (await http.json()) as { errors: string[] };

    const bulkTest = EVENT();
    bulkTest["id"] = "other-workspace-event";
    bulkTest["data"].deploy.workspace = OTHER_WS;
    expect((await postEvent(s.url, bulkTest)).status).toBe(202);

    const runCompleted = readJson<Record<string, any>>(join(repoRoot, "test", "fixtures", "azure", "eventgrid.cloudevents.RunCompleted.json"));
    runCompleted["source"] = workspaceResourceId(OTHER_WS);
    const { workspace: _w, requestId: _r, ...target } = sampleRequest();
    runCompleted["data"].runTags = { "flowdeploy.passed": "true", "flowdeploy.request": JSON.stringify(target) };
    expect((await postEvent(s.url, runCompleted)).status).toBe(202);

    const published = await drainNotifications(s.stack, { until: (all) => all.length >= 3 });
    recordArtifact("allowlist: notifications", published);
    reportRow("allowlist", {
      http: `${http.status} ${httpBody.errors.join("; ")}`,
      notifications: published.map((n) => `${n.outcome} ${n.error?.code}: ${n.error?.message}`),
      armCalls: s.stack.sim.requests().length,
      instances: s.stack.runtime.listInstances().length,
    });

    expect(http.status).toBe(403);
    expect(httpBody.errors).toEqual(["workspace: this workspace is not in FLOWDEPLOY_ALLOWED_WORKSPACES"]);
    expect(published).toHaveLength(3);
    for (const n of published) {
      expect(n).toMatchObject({ outcome: "Rejected", instanceId: null, error: { stage: "request", code: "WorkspaceNotAllowed", message: "workspace: this workspace is not in FLOWDEPLOY_ALLOWED_WORKSPACES" } });
    }
    // Before any Azure call: the simulator saw nothing, the runner started nothing.
    expect(s.stack.sim.requests()).toHaveLength(0);
    expect(s.stack.runtime.listInstances()).toHaveLength(0);

    // The listed workspace (named in another casing in the setting) is deployed to.
    const allowed = sampleRequest();
    const ok = await fetch(`${s.url}/api/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(allowed) });
    expect(ok.status).toBe(202);
    const done = await s.stack.runtime.waitForCompletion(instanceIdFor(allowed["requestId"]), { timeoutMs: 20_000 });
    expect(JSON.parse(done.outputJson!)).toMatchObject({ outcome: "Succeeded" });
  });

  it("a listed workspace is allowed whatever the casing of the list (ARM ids are case-insensitive)", async () => {
    const run = await recordedDeploy({ startAt: START, policy: { allowedWorkspaces: [workspaceResourceId(SAMPLE_WS)] } }, "allowlist in ARM casing");
    expect(run.notification.outcome).toBe("Succeeded");
  });

  it("an empty allowlist allows nothing (a forgotten setting fails closed)", async () => {
    expect(parseConfig({}).allowedWorkspaces).toEqual([]);
    const run = await recordedDeploy({ startAt: START, policy: { allowedWorkspaces: parseConfig({}).allowedWorkspaces } }, "empty allowlist");
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { code: "WorkspaceNotAllowed" } });
    expect(run.requests).toHaveLength(0);
    expect(run.instances).toBe(0);
  });
});

describe("the endpoint identity gets exactly the roles DESIGN.md names, at the narrowest scope", () => {
  /** Every role GUID the condition of the Function App's RBAC Administrator assignment allows (docs/pipeline.md). */
  /** The RBAC Administrator conditions in docs/pipeline.md: resource → the role ids its condition lets flowdeploy write. */
  const conditions = () => {
    const doc = readFileSync(join(repoRoot, "docs", "pipeline.md"), "utf8");
    const out: Record<string, { roles: string[]; text: string }> = {};
    for (const [, resource, text] of doc.matchAll(/On (?:the |each )?(?:workspace's )?\*\*(workspace|container registry|storage account|AI services account|search service|Key Vault)\*\*[\s\S]*?\n\n\s*```\n([\s\S]*?)```/g)) {
      const roles = [...text!.matchAll(/GuidEquals\s*\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(",").map((g) => g.trim().toLowerCase()));
      out[resource!] = { roles, text: text! };
    }
    return out;
  };
  const conditionRoleIds = () => Object.values(conditions()).flatMap((c) => c.roles);

  it("docs: one RBAC Administrator condition per resource, each allowing only that resource's role, to service principals, and denying deletes", () => {
    const c = conditions();
    expect(Object.keys(c).sort()).toEqual(["AI services account", "Key Vault", "container registry", "search service", "storage account", "workspace"]);
    expect(c["workspace"]!.roles).toEqual([RoleIds.connectionSecretsReader, RoleIds.metricsWriter]);
    expect(c["container registry"]!.roles).toEqual([RoleIds.acrPull]);
    expect(c["storage account"]!.roles).toEqual([RoleIds.storageBlobDataReader]);
    // Each extra role's resource kind has a condition that allows exactly the extra roles for that kind.
    const kindOf = { "Microsoft.CognitiveServices/accounts": "AI services account", "Microsoft.Search/searchServices": "search service", "Microsoft.Storage/storageAccounts": "storage account" } as const;
    for (const { guid, resourceType } of Object.values(EXTRA_ROLES)) expect(c[kindOf[resourceType]]!.roles, resourceType).toContain(guid);
    expect(c["AI services account"]!.roles.sort()).toEqual([EXTRA_ROLES["Cognitive Services OpenAI User"].guid, EXTRA_ROLES["Cognitive Services User"].guid].sort());
    expect(c["search service"]!.roles).toEqual([EXTRA_ROLES["Search Index Data Reader"].guid]);
    // An agent's resources: its AI Services role is one the AI services condition allows; its vault's, the only one the Key Vault condition does.
    expect(c["AI services account"]!.roles).toContain(AGENT_ROLES.aiServices.guid);
    expect(c["Key Vault"]!.roles).toEqual([AGENT_ROLES.keyVault.guid]);
    for (const { text } of Object.values(c)) {
      expect(text).toContain("StringEqualsIgnoreCase {'ServicePrincipal'}");
      expect(text.replace(/\s+/g, " ")).toContain("AND ( !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}) )");
    }
    const doc = readFileSync(join(repoRoot, "docs", "pipeline.md"), "utf8");
    expect(doc).not.toMatch(/\(or their resource group\)/);
  });

  it("system-assigned: Connection Secrets Reader on the workspace, nothing else", async () => {
    const run = await recordedDeploy({ startAt: START }, "roles: system-assigned");
    expect(run.notification.outcome).toBe("Succeeded");
    const endpoint = run.state.endpoints.find((e) => e.name === "web-classify")!;
    const assignments = run.state.roleAssignments.map((a) => ({ role: a.roleDefinitionId.split("/").pop(), scope: a.scope.toLowerCase(), principalId: a.principalId, principalType: a.principalType }));
    reportRow("roles", { identity: "SystemAssigned", assignments });
    expect(assignments).toEqual([{ role: RoleIds.connectionSecretsReader, scope: workspaceResourceId(SAMPLE_WS).toLowerCase(), principalId: endpoint.identity.principalId, principalType: "ServicePrincipal" }]);
    expect(rolesFor("SystemAssigned").map((g) => g.roleDefinitionGuid).every((g) => conditionRoleIds().includes(g))).toBe(true);
  });

  it("user-assigned: also AcrPull on the workspace registry, Storage Blob Data Reader on its storage account and Metrics Writer on the workspace, before the endpoint exists", async () => {
    const request = sampleRequest();
    const identity = {
      type: "UserAssigned",
      resourceId: `/subscriptions/${SAMPLE_WS.subscriptionId}/resourceGroups/${SAMPLE_WS.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ep-id`,
      clientId: "11111111-2222-3333-4444-555555555555",
      principalId: "66666666-7777-8888-9999-000000000000",
    };
    request["endpoint"].identity = identity;
    const run = await recordedDeploy({ startAt: START, request, scenario: { userAssignedIdentities: [{ id: identity.resourceId, principalId: identity.principalId, clientId: identity.clientId }] } }, "roles: user-assigned");
    expect(run.notification.outcome).toBe("Succeeded");
    const ws = { subscriptionId: SAMPLE_WS.subscriptionId, resourceGroup: SAMPLE_WS.resourceGroup, workspace: SAMPLE_WS.name };
    const assignments = run.state.roleAssignments
      .map((a) => ({ role: a.roleDefinitionId.split("/").pop(), scope: a.scope.toLowerCase(), principalId: a.principalId, principalType: a.principalType }))
      .sort((a, b) => a.role!.localeCompare(b.role!));
    reportRow("roles", { identity: "UserAssigned", assignments });
    const expected = [
      { role: RoleIds.storageBlobDataReader, scope: storageAccountId(ws).toLowerCase() },
      { role: RoleIds.acrPull, scope: containerRegistryId(ws).toLowerCase() },
      { role: RoleIds.connectionSecretsReader, scope: workspaceResourceId(SAMPLE_WS).toLowerCase() },
      { role: RoleIds.metricsWriter, scope: workspaceResourceId(SAMPLE_WS).toLowerCase() },
    ].map((a) => ({ ...a, principalId: identity.principalId, principalType: "ServicePrincipal" }));
    expect(assignments).toEqual(expected.sort((a, b) => a.role.localeCompare(b.role)));
    // Never at a resource group or subscription: every scope is one resource.
    for (const a of assignments) expect(a.scope.split("/providers/").length, a.scope).toBe(2);
    // All granted before the endpoint PUT, and all within what the Function App's condition allows.
    const firstEndpointPut = run.requests.find((r) => r.operation === "onlineEndpoints.createOrUpdate")!.seq;
    expect(run.requests.filter((r) => r.operation === "roleAssignments.create").every((r) => r.seq < firstEndpointPut)).toBe(true);
    expect(rolesFor("UserAssigned").map((g) => g.roleDefinitionGuid).every((g) => conditionRoleIds().includes(g))).toBe(true);
  });
});

describe("HTTP routes need a function key", () => {
  it('every HTTP trigger the app registers (loaded from the sources, as the worker would) has authLevel "function"', () => {
    const modules = ["src/index.ts", ...readdirSync(join(repoRoot, "src", "functions")).map((f) => `src/functions/${f}`)];
    const script = modules.map((m) => `require(${JSON.stringify(join(repoRoot, m))});`).join("\n");
    const out = execFileSync(process.execPath, ["-r", "tsx/cjs", "-r", join(repoRoot, "test", "host", "fakeFunctionsCore.cjs"), "-e", script], { cwd: repoRoot, encoding: "utf8" });
    const registered = JSON.parse(out.trim().split("\n").pop()!) as { name: string; trigger: string; authLevel?: string }[];
    const http = registered.filter((r) => r.trigger === "httpTrigger");
    reportRow("authLevel", { http });
    expect(http.map((r) => r.name).sort()).toEqual(["approveDeploymentHttp", "cancelDeploymentHttp", "getDeploymentHttp", "inventoryHttp", "listDeploymentsHttp", "rejectDeploymentHttp", "releaseLockHttp", "startDeploymentHttp", "statusPageHttp"]);
    expect(http.every((r) => r.authLevel === "function")).toBe(true);
  });
});

describe("the README documents the Function App identity's roles", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const pipeline = readFileSync(join(repoRoot, "docs", "pipeline.md"), "utf8");

  it("names AzureML Data Scientist and the constrained RBAC Administrator, with their role ids", () => {
    for (const text of ["AzureML Data Scientist", "f6c7c914-8db3-469d-8ca1-694a8f32e121", "Role Based Access Control Administrator", "f58310d9-a9f6-439a-9e8d-f62e7b41a168", "ServicePrincipal", "docs/pipeline.md", "docs/reliability.md"]) {
      expect(readme, text).toContain(text);
    }
    expect(readme).toMatch(/never Owner\s+or User Access Administrator/i);
  });

  it("the conditions together allow exactly the endpoint roles (no unused role) and only service principals", () => {
    const allowed = [...pipeline.matchAll(/ForAnyOfAnyValues:GuidEquals\s*\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(",").map((g) => g.trim()));
    const extra = Object.values(EXTRA_ROLES).map((r) => r.guid);
    const agent = Object.values(AGENT_ROLES).map((r) => r.guid);
    expect([...new Set(allowed)].sort()).toEqual([...new Set([...Object.values(RoleIds), ...extra, ...agent])].sort());
    expect(pipeline).toMatch(/PrincipalType\] ForAnyOfAnyValues:StringEqualsIgnoreCase \{'ServicePrincipal'\}/);
    for (const guid of Object.values(RoleIds)) expect(readme, guid).toContain(guid);
  });
});
