import { afterEach, describe, expect, it } from "vitest";
import type { DeploymentNotification } from "../../src/contracts";
import type { ApprovalDecision } from "../../src/contracts/orchestration";
import { APPROVAL_EVENT, instanceIdFor } from "../../src/domain/ids";
import { parseDeployRequest } from "../../src/contracts";
import { deployFlowInput } from "../../src/intake/startOnce";
import { startLocalStack, type LocalStack } from "../../src/local/localStack";
import { drainNotifications } from "../reliability/support/deploy";
import { sampleRequest } from "../support/samples";

/**
 * rollout.approval (issue 17 item 1): after the smoke test, an AwaitingApproval notification, then a
 * wait on the `approval` event raced against a durable timer and the operator's cancel. No approval,
 * no live traffic.
 */
let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const BLUE_LIVE = { existing: [{ endpoint: "web-classify", deployments: [{ name: "blue", traffic: 100 }] }] };
const T0 = new Date("2026-11-23T10:00:00.000Z");

async function startWaiting(requestId: string, approval: Record<string, unknown> = { required: true, timeoutMinutes: 60, approvers: ["ml-leads@contoso.com"] }) {
  const s = await startLocalStack({ startAt: T0, scenario: BLUE_LIVE });
  stack = s;
  await s.runtime.stop();
  const body = sampleRequest();
  body.requestId = requestId;
  body.rollout = { strategy: "blueGreen", onFailure: "delete", approval };
  const parsed = parseDeployRequest(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const id = instanceIdFor(requestId);
  await s.client.startNew("deployFlow", { instanceId: id, input: deployFlowInput(parsed.value, "cli") });
  // Until the approval wait: the deployment, the propagation wait, the smoke test (~17 simulated minutes).
  await s.runtime.runUntilIdle({ advanceClockUntil: new Date(T0.getTime() + 30 * 60_000) });
  return { s, id };
}

const status = (s: LocalStack, id: string) => JSON.parse(s.runtime.getInstance(id)!.exec.customStatusJson!) as Record<string, any>;
const output = (s: LocalStack, id: string) => JSON.parse(s.runtime.getInstance(id)!.outputJson ?? "null") as DeploymentNotification;
const trafficPuts = (s: LocalStack) => s.sim.requests().filter((r) => r.operation === "onlineEndpoints.createOrUpdate" && r.method === "PUT");
const decision = (d: ApprovalDecision["decision"], by = "ana@contoso.com", reason: string | null = null): ApprovalDecision => ({ decision: d, by, reason, at: new Date().toISOString() });

describe("approval gate", () => {
  it("waits after the smoke test with no live traffic moved, asks by notification, and rolls out once approved", async () => {
    const { s, id } = await startWaiting("approve-1");
    expect(status(s, id)).toMatchObject({ stage: "approval", outcome: "Running", approval: { approvers: ["ml-leads@contoso.com"] } });
    expect(s.sim.requests().some((r) => r.operation === "score")).toBe(true);
    expect(trafficPuts(s)).toHaveLength(0);
    const asked = (await drainNotifications(s, { until: (all) => all.some((n) => n.outcome === "AwaitingApproval") })).filter((n) => n.outcome === "AwaitingApproval");
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ error: null, traffic: { blue: 100 }, approval: { approvers: ["ml-leads@contoso.com"] }, deployment: { name: "green" } });
    expect(Date.parse(asked[0]!.approval!.expiresAt) - Date.parse(asked[0]!.approval!.requestedAt)).toBe(60 * 60_000);

    await s.client.raiseEvent(id, APPROVAL_EVENT, decision("approved", "ana@contoso.com", "looks good"));
    await s.runtime.runUntilIdle({ advanceClockUntil: new Date(T0.getTime() + 40 * 60_000) });
    const n = output(s, id);
    expect(n).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 }, approval: { decision: "approved", by: "ana@contoso.com", reason: "looks good" } });
    expect(n.stages.map((st) => st.name)).toContain("approval");
    expect(trafficPuts(s)).toHaveLength(1);
  });

  it("a rejection ends Failed at stage approval: traffic untouched, the new deployment deleted", async () => {
    const { s, id } = await startWaiting("reject-1");
    await s.client.raiseEvent(id, APPROVAL_EVENT, decision("rejected", "ana@contoso.com", "latency too high in the smoke test"));
    await s.runtime.runUntilIdle({ advanceClockUntil: new Date(T0.getTime() + 40 * 60_000) });
    const n = output(s, id);
    expect(n).toMatchObject({ outcome: "Failed", error: { stage: "approval", code: "ApprovalRejected" }, traffic: { blue: 100 }, deletedDeployments: ["green"] });
    expect(n.error!.message).toContain("rejected by ana@contoso.com: latency too high in the smoke test");
    expect(trafficPuts(s)).toHaveLength(0);
  });

  it("no answer before the timeout: Failed ApprovalTimedOut, traffic untouched", async () => {
    const { s, id } = await startWaiting("timeout-1", { required: true, timeoutMinutes: 5 });
    await s.runtime.runUntilIdle({ advanceClockUntil: new Date(T0.getTime() + 60 * 60_000) });
    const n = output(s, id);
    expect(n).toMatchObject({ outcome: "Failed", error: { stage: "approval", code: "ApprovalTimedOut" }, traffic: { blue: 100 } });
    expect(trafficPuts(s)).toHaveLength(0);
    // An answer after the timeout changes nothing (the host answers 410 Gone for a finished instance).
    await s.client.raiseEvent(id, APPROVAL_EVENT, decision("approved"));
    await s.runtime.runUntilIdle();
    expect(output(s, id)).toMatchObject({ outcome: "Failed", error: { code: "ApprovalTimedOut" } });
    expect(trafficPuts(s)).toHaveLength(0);
  });

  it("an operator's cancel during the wait ends Cancelled at stage approval", async () => {
    const { s, id } = await startWaiting("cancel-1");
    await s.client.raiseEvent(id, "cancel", { reason: "wrong flow" });
    await s.runtime.runUntilIdle({ advanceClockUntil: new Date(T0.getTime() + 40 * 60_000) });
    expect(output(s, id)).toMatchObject({ outcome: "Cancelled", error: { stage: "approval", code: "Cancelled" }, traffic: { blue: 100 } });
  });

  it("an event of another shape is refused, not guessed at: Failed ApprovalInvalid, traffic untouched", async () => {
    const { s, id } = await startWaiting("invalid-1");
    await s.client.raiseEvent(id, APPROVAL_EVENT, { decision: "yes please" });
    await s.runtime.runUntilIdle({ advanceClockUntil: new Date(T0.getTime() + 40 * 60_000) });
    expect(output(s, id)).toMatchObject({ outcome: "Failed", error: { stage: "approval", code: "ApprovalInvalid" }, traffic: { blue: 100 } });
    expect(trafficPuts(s)).toHaveLength(0);
  });

  it("a request without rollout.approval never waits", () => {
    const parsed = parseDeployRequest(sampleRequest());
    expect(parsed.ok && parsed.value.rollout.approval).toBeFalsy();
  });
});
