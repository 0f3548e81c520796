import { HttpRequest, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import type { ApprovalDecision } from "../../src/contracts/orchestration";
import { APPROVAL_EVENT } from "../../src/domain/ids";
import { callerFromHeaders } from "../../src/functions/callerIdentity";
import { checkApprover } from "../../src/intake/approval";
import { intakePolicyFrom, localIntakePolicy, settingsWarnings } from "../../src/intake/policy";
import { loadApp } from "../../src/local/appFunctions";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { serve, type RunningService } from "../../src/local/serve";

/**
 * POST /api/deployments/{id}/approve and /reject through `flowdeploy serve` (the same wiring table
 * as the Function App) to a probe orchestration that waits as deployFlow does at its approval stage
 * (custom status stage "approval", then the APPROVAL_EVENT): the route → event → orchestration
 * path, who may answer (FLOWDEPLOY_APPROVERS), and that who answered comes from the host's
 * authentication (App Service authentication's x-ms-client-principal-* headers), never the body.
 */

const PROBE = "approvalProbe";
const ALICE = "alice@contoso.com";
const BOB_OID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";

/**
 * Registers the probe once: the app is loaded once per process, and its registry outlives each stack.
 * The file removes it when it ends, so a later file sharing the process (`npm run mutate` runs files
 * without isolation) sees only the app's own functions.
 */
function registerProbe(stack: LocalStack): void {
  if (stack.app.functions.orchestrations.has(PROBE)) return;
  stack.app.functions.orchestration(PROBE, function* (ctx: df.OrchestrationContext) {
    const { stage } = ctx.df.getInput() as { stage: string };
    ctx.df.setCustomStatus({ stage });
    const decision: unknown = yield ctx.df.waitForExternalEvent(APPROVAL_EVENT);
    return decision;
  });
}

/** Starts a probe showing `stage` and resolves once its custom status says so. */
afterAll(async () => {
  (await loadApp()).functions.unregister(PROBE);
});

async function startProbe(stack: LocalStack, instanceId: string, stage = "approval"): Promise<void> {
  registerProbe(stack);
  await stack.client.startNew(PROBE, { instanceId, input: { stage } });
  for (let i = 0; i < 1000; i++) {
    const status = await stack.client.getStatus(instanceId);
    if ((status.customStatus as { stage?: string } | null)?.stage === stage) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${instanceId} never showed stage ${stage}`);
}

async function decisionOf(stack: LocalStack, instanceId: string): Promise<ApprovalDecision> {
  const done = await stack.runtime.waitForCompletion(instanceId, { timeoutMs: 10_000 });
  expect(done.runtimeStatus).toBe("Completed");
  return JSON.parse(done.outputJson!) as ApprovalDecision;
}

async function runtimeStatusOf(stack: LocalStack, instanceId: string): Promise<string> {
  return String((await stack.client.getStatus(instanceId)).runtimeStatus);
}

function answer(url: string, instanceId: string, verb: "approve" | "reject", body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/api/deployments/${encodeURIComponent(instanceId)}/${verb}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

/** X-MS-CLIENT-PRINCIPAL as App Service authentication writes it: Base64 JSON {auth_typ, claims: [{typ, val}], name_typ, role_typ}. */
function clientPrincipal(name: string, objectId: string): string {
  const principal = {
    auth_typ: "aad",
    claims: [
      { typ: "name", val: name },
      { typ: "http://schemas.microsoft.com/identity/claims/objectidentifier", val: objectId },
    ],
    name_typ: "name",
    role_typ: "roles",
  };
  return Buffer.from(JSON.stringify(principal)).toString("base64");
}

describe("approve and reject (no FLOWDEPLOY_APPROVERS: any caller with the function key)", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await serve({ port: 0 });
  });
  afterAll(async () => service?.close());

  it("approve: 202 {instanceId, decision, by}, and the orchestration receives the approval event with the server's time", async () => {
    await startProbe(service.stack, "approval-approve-1");
    const before = service.stack.clock.now().getTime();
    const res = await answer(service.url, "approval-approve-1", "approve", { reason: " looks good " });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ instanceId: "approval-approve-1", decision: "approved", by: "function key" });
    const decision = await decisionOf(service.stack, "approval-approve-1");
    expect(decision).toEqual({ decision: "approved", reason: "looks good", by: "function key", at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(Date.parse(decision.at)).toBeGreaterThanOrEqual(before);

    // Answered and finished: nothing waits any more.
    const again = await answer(service.url, "approval-approve-1", "approve");
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ errors: ["deployment approval-approve-1 is Completed: it is not waiting for approval"] });
  });

  it("approve without a body: the reason is null; a signed-in caller is named even with no approvers configured", async () => {
    await startProbe(service.stack, "approval-approve-2");
    const res = await answer(service.url, "approval-approve-2", "approve", undefined, { "x-ms-client-principal-name": "carol@contoso.com", "x-ms-client-principal-id": "c-1" });
    expect(await res.json()).toEqual({ instanceId: "approval-approve-2", decision: "approved", by: "carol@contoso.com" });
    expect(await decisionOf(service.stack, "approval-approve-2")).toMatchObject({ decision: "approved", reason: null, by: "carol@contoso.com" });
  });

  it("reject: 202, the event carries the reason; a reject without a reason is 400 and raises nothing", async () => {
    await startProbe(service.stack, "approval-reject-1");
    const missing = await answer(service.url, "approval-reject-1", "reject");
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { errors: string[] }).errors[0]).toMatch(/^reason: required to reject/);
    const empty = await answer(service.url, "approval-reject-1", "reject", { reason: "   " });
    expect(empty.status).toBe(400);
    expect(await runtimeStatusOf(service.stack, "approval-reject-1")).toBe("Running");

    const res = await answer(service.url, "approval-reject-1", "reject", { reason: "the eval set is stale" });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ instanceId: "approval-reject-1", decision: "rejected", by: "function key" });
    expect(await decisionOf(service.stack, "approval-reject-1")).toMatchObject({ decision: "rejected", reason: "the eval set is stale", by: "function key" });
  });

  it("404 for an unknown deployment, 400 for a malformed id", async () => {
    const unknown = await answer(service.url, "deploy-00000000000000000000000000000000", "approve");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ errors: ["no deployment deploy-00000000000000000000000000000000"] });
    expect((await answer(service.url, "deploy-a b", "reject", { reason: "x" })).status).toBe(400);
  });

  it("409 for a running deployment that is not at its approval stage, and the event is not raised", async () => {
    await startProbe(service.stack, "approval-busy-1", "deployment");
    for (const verb of ["approve", "reject"] as const) {
      const res = await answer(service.url, "approval-busy-1", verb, { reason: "too early" });
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ errors: ["deployment approval-busy-1 is at stage deployment: it is not waiting for approval"] });
    }
    // Still waiting: no approval event reached it (raising one now is what completes it).
    expect(await runtimeStatusOf(service.stack, "approval-busy-1")).toBe("Running");
    await service.stack.client.raiseEvent("approval-busy-1", APPROVAL_EVENT, { probe: "done" });
    await service.stack.runtime.waitForCompletion("approval-busy-1", { timeoutMs: 10_000 });
  });

  it("a body cannot say who answers, what, or when: by, decision and at are refused (400), other fields too", async () => {
    await startProbe(service.stack, "approval-claims-1");
    const claimed = await answer(service.url, "approval-claims-1", "approve", { reason: "ok", by: ALICE });
    expect(claimed.status).toBe(400);
    expect(await claimed.json()).toEqual({ errors: [expect.stringMatching(/^by: not accepted: who answers is the caller the host authenticated/)] });
    const all = await answer(service.url, "approval-claims-1", "approve", { by: ALICE, decision: "approved", at: "2020-01-01T00:00:00Z", extra: 1 });
    expect(((await all.json()) as { errors: string[] }).errors).toEqual([
      expect.stringMatching(/^by: not accepted/),
      expect.stringMatching(/^decision: not accepted: the route says it/),
      expect.stringMatching(/^at: not accepted: the server's clock says when/),
      'extra: unknown field (only "reason" is accepted)',
    ]);
    expect((await answer(service.url, "approval-claims-1", "approve", "[1]")).status).toBe(400);
    expect((await answer(service.url, "approval-claims-1", "approve", { reason: "x".repeat(501) })).status).toBe(400);
    expect(await runtimeStatusOf(service.stack, "approval-claims-1")).toBe("Running");
    const ok = await answer(service.url, "approval-claims-1", "approve", { reason: "x".repeat(500) });
    expect(ok.status).toBe(202);
    await decisionOf(service.stack, "approval-claims-1");
  });
});

describe("approve and reject with FLOWDEPLOY_APPROVERS (the principal from App Service authentication)", () => {
  let service: RunningService;
  beforeAll(async () => {
    // As `flowdeploy serve` reads the setting from its environment; serve plays App Service authentication.
    service = await serve({ port: 0, policy: localIntakePolicy({ FLOWDEPLOY_APPROVERS: `Alice@Contoso.com, ${BOB_OID.toUpperCase()}` }) });
  });
  afterAll(async () => service?.close());

  it("a listed principal name (compared ignoring case) approves: 202 with by = that name, and the event says so", async () => {
    await startProbe(service.stack, "approvers-alice-1");
    const res = await answer(service.url, "approvers-alice-1", "approve", { reason: "ship it" }, { "X-MS-CLIENT-PRINCIPAL-NAME": "ALICE@contoso.com", "X-MS-CLIENT-PRINCIPAL-ID": "11111111-2222-4333-8444-555555555555" });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ instanceId: "approvers-alice-1", decision: "approved", by: "ALICE@contoso.com" });
    expect(await decisionOf(service.stack, "approvers-alice-1")).toMatchObject({ decision: "approved", reason: "ship it", by: "ALICE@contoso.com" });
  });

  it("a listed object id matches too, read from X-MS-CLIENT-PRINCIPAL when that is all there is; by is the principal's name", async () => {
    await startProbe(service.stack, "approvers-bob-1");
    const res = await answer(service.url, "approvers-bob-1", "reject", { reason: "latency regressed" }, { "x-ms-client-principal": clientPrincipal("bob@contoso.com", BOB_OID) });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ instanceId: "approvers-bob-1", decision: "rejected", by: "bob@contoso.com" });
    expect(await decisionOf(service.stack, "approvers-bob-1")).toMatchObject({ decision: "rejected", by: "bob@contoso.com" });
  });

  it("a principal not in the list: 403 naming why, not who is listed; nothing is raised", async () => {
    await startProbe(service.stack, "approvers-mallory-1");
    const res = await answer(service.url, "approvers-mallory-1", "approve", undefined, { "x-ms-client-principal-name": "mallory@contoso.com", "x-ms-client-principal-id": "m-1" });
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ errors: ["mallory@contoso.com is not an approver of this app (FLOWDEPLOY_APPROVERS)"] });
    expect(text.toLowerCase()).not.toContain(ALICE);
    expect(text.toLowerCase()).not.toContain(BOB_OID);
    expect(await runtimeStatusOf(service.stack, "approvers-mallory-1")).toBe("Running");
  });

  it("no identity (the function key alone): 403", async () => {
    await startProbe(service.stack, "approvers-anonymous-1");
    const res = await answer(service.url, "approvers-anonymous-1", "reject", { reason: "no" });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: string[] }).errors[0]).toMatch(/^only a listed approver may answer \(FLOWDEPLOY_APPROVERS\), and this call is not signed in/);
    expect(await runtimeStatusOf(service.stack, "approvers-anonymous-1")).toBe("Running");
  });

  it("the body cannot claim an approver's identity: refused, whoever the caller is", async () => {
    await startProbe(service.stack, "approvers-claim-1");
    const callers: Record<string, string>[] = [{}, { "x-ms-client-principal-name": "mallory@contoso.com" }];
    for (const headers of callers) {
      const res = await answer(service.url, "approvers-claim-1", "approve", { by: ALICE, reason: "trust me" }, headers);
      expect(res.status).toBe(400);
    }
    expect(await runtimeStatusOf(service.stack, "approvers-claim-1")).toBe("Running");
    // The caller is checked before the instance: a refused caller learns nothing about it.
    const unknown = await answer(service.url, "deploy-00000000000000000000000000000000", "approve", undefined, { "x-ms-client-principal-name": "mallory@contoso.com" });
    expect(unknown.status).toBe(403);
  });
});

describe("in Azure without App Service authentication the identity headers are not believed", () => {
  let stack: LocalStack;
  beforeAll(async () => {
    // The Function App's policy when WEBSITE_AUTH_ENABLED is not set: the headers could come from the caller itself.
    stack = await startLocalStack({ policy: intakePolicyFrom(parseConfig({ FLOWDEPLOY_APPROVERS: ALICE })) });
  });
  afterAll(async () => stack?.close());

  const context = () => new InvocationContext({ functionName: "approveDeploymentHttp", logHandler: () => undefined });
  const approve = (instanceId: string, headers: Record<string, string>) =>
    stack.app.handlers.approveDeploymentHttp(new HttpRequest({ url: `http://localhost:7071/api/deployments/${instanceId}/approve`, method: "POST", params: { instanceId }, headers }), stack.client, context());

  it("a caller writing x-ms-client-principal-name itself is not an approver: 403 saying App Service authentication is off", async () => {
    await startProbe(stack, "untrusted-1");
    const res = await approve("untrusted-1", { "x-ms-client-principal-name": ALICE, "x-ms-client-principal-id": BOB_OID });
    expect(res.status).toBe(403);
    expect((res.jsonBody as { errors: string[] }).errors[0]).toMatch(/App Service authentication is not enabled, so x-ms-client-principal-\* headers sent by a caller are not trusted/);
    expect(await runtimeStatusOf(stack, "untrusted-1")).toBe("Running");
  });

  it("the Function App's policy: trusted only with WEBSITE_AUTH_ENABLED, approvers compared ignoring case, and a warning while they cannot be identified", () => {
    const off = parseConfig({ FLOWDEPLOY_APPROVERS: "Alice@Contoso.com;bob@contoso.com" });
    expect(intakePolicyFrom(off)).toMatchObject({ approvers: [ALICE, "bob@contoso.com"], trustClientPrincipal: false });
    expect(settingsWarnings(off)).toContainEqual(expect.stringMatching(/^FLOWDEPLOY_APPROVERS is set but App Service authentication is not enabled/));
    const on = parseConfig({ FLOWDEPLOY_APPROVERS: ALICE, WEBSITE_AUTH_ENABLED: "True" });
    expect(intakePolicyFrom(on).trustClientPrincipal).toBe(true);
    expect(settingsWarnings(on).filter((w) => w.includes("APPROVERS"))).toEqual([]);
    expect(intakePolicyFrom(parseConfig({})).approvers).toEqual([]);
    expect(settingsWarnings(parseConfig({ FLOWDEPLOY_APPROVERS: "*", WEBSITE_AUTH_ENABLED: "true" }))).toContainEqual(expect.stringMatching(/^FLOWDEPLOY_APPROVERS: '\*' matches no one/));
  });
});

describe("who is calling (src/functions/callerIdentity.ts) and who may answer (src/intake/approval.ts)", () => {
  const headers = (h: Record<string, string>) => new Headers(h);

  it("reads the name and id headers, else the Base64 principal; untrusted or empty headers leave only the function key", () => {
    expect(callerFromHeaders(headers({ "x-ms-client-principal-name": " alice@contoso.com ", "x-ms-client-principal-id": "a-1" }), true)).toEqual({ kind: "principal", name: ALICE, id: "a-1" });
    expect(callerFromHeaders(headers({ "x-ms-client-principal": clientPrincipal("bob@contoso.com", BOB_OID) }), true)).toEqual({ kind: "principal", name: "bob@contoso.com", id: BOB_OID });
    expect(callerFromHeaders(headers({ "x-ms-client-principal-name": ALICE }), false)).toEqual({ kind: "functionKey", ignoredHeaders: true });
    expect(callerFromHeaders(headers({}), true)).toEqual({ kind: "functionKey", ignoredHeaders: false });
    expect(callerFromHeaders(headers({ "x-ms-client-principal": "not base64 json" }), true)).toEqual({ kind: "functionKey", ignoredHeaders: true });
    // A name that would forge a log line is no name.
    expect(callerFromHeaders(headers({ "x-ms-client-principal-name": "a\u0007b", "x-ms-client-principal-id": "id-1" }), true)).toEqual({ kind: "principal", name: null, id: "id-1" });
  });

  it("checks the caller against the approvers by name or id, ignoring case", () => {
    const approvers = [ALICE, BOB_OID];
    expect(checkApprover({ kind: "functionKey", ignoredHeaders: false }, [])).toEqual({ ok: true, by: "function key" });
    expect(checkApprover({ kind: "principal", name: "Alice@Contoso.com", id: null }, approvers)).toEqual({ ok: true, by: "Alice@Contoso.com" });
    expect(checkApprover({ kind: "principal", name: null, id: BOB_OID.toUpperCase() }, approvers)).toEqual({ ok: true, by: BOB_OID.toUpperCase() });
    expect(checkApprover({ kind: "principal", name: "eve@contoso.com", id: "e" }, approvers)).toEqual({ ok: false, reason: "eve@contoso.com is not an approver of this app (FLOWDEPLOY_APPROVERS)" });
    expect(checkApprover({ kind: "functionKey", ignoredHeaders: false }, approvers).ok).toBe(false);
  });
});
