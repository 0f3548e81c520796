import type * as df from "durable-functions";
import type { ApprovalDecision } from "../contracts/orchestration";
import { APPROVAL_EVENT } from "../domain/ids";
import { stageOf } from "./cancel";
import { getStatusOrUndefined } from "./instanceStatus";

/**
 * An approver's answer to a deployment that waits for approval (`rollout.approval`): who is asking
 * (from the host's authentication, never from the request), whether they may (FLOWDEPLOY_APPROVERS,
 * the app's setting), and the external event that hands the decision to the orchestration.
 */

/** The stage deployFlow's custom status shows while it waits for an approver. */
export const APPROVAL_STAGE = "approval";

/** What `by` says when the caller is known only by the function key it sent. */
export const FUNCTION_KEY_CALLER = "function key";

/**
 * Who is calling, as the host vouches for it: a principal App Service authentication signed in
 * (its name and id, either may be missing), or nobody beyond the function key. `ignoredHeaders`:
 * the request carried x-ms-client-principal-* headers that nothing vouched for.
 */
export type Caller = { kind: "principal"; name: string | null; id: string | null } | { kind: "functionKey"; ignoredHeaders: boolean };

export type ApproverCheck = { ok: true; by: string } | { ok: false; reason: string };

/**
 * Whether `caller` may answer an approval, and the name that answer carries. With no approvers
 * configured anyone who reached the route (it needs the function key) may, named by principal when
 * App Service authentication knows it. With approvers configured only a signed-in principal whose
 * name or id is listed may; the refusal says why without naming who is listed.
 */
export function checkApprover(caller: Caller, approvers: readonly string[]): ApproverCheck {
  const by = caller.kind === "principal" ? (caller.name ?? caller.id ?? FUNCTION_KEY_CALLER) : FUNCTION_KEY_CALLER;
  if (approvers.length === 0) return { ok: true, by };
  if (caller.kind === "functionKey") {
    return {
      ok: false,
      reason: caller.ignoredHeaders
        ? "only a listed approver may answer (FLOWDEPLOY_APPROVERS), and this app cannot tell who you are: App Service authentication is not enabled, so x-ms-client-principal-* headers sent by a caller are not trusted"
        : "only a listed approver may answer (FLOWDEPLOY_APPROVERS), and this call is not signed in: call through App Service authentication (e.g. with a Microsoft Entra access token) as well as with the function key",
    };
  }
  const listed = new Set(approvers);
  const names = [caller.name, caller.id].filter((n): n is string => n !== null).map((n) => n.toLowerCase());
  if (names.some((n) => listed.has(n))) return { ok: true, by };
  return { ok: false, reason: `${by} is not an approver of this app (FLOWDEPLOY_APPROVERS)` };
}

export type ApprovalOutcome =
  | { outcome: "raised"; instanceId: string; decision: ApprovalDecision }
  | { outcome: "notFound"; instanceId: string }
  | { outcome: "notRunning"; instanceId: string; runtimeStatus: string }
  | { outcome: "notWaiting"; instanceId: string; stage: string | null };

export type ApprovalClient = Pick<df.DurableClient, "getStatus" | "raiseEvent">;

/**
 * Hands an approver's decision to a deployment that waits for one: raises APPROVAL_EVENT when the
 * instance runs and its custom status shows the `approval` stage; reports it otherwise. Two answers
 * racing are both handed over; the orchestration acts on the first it receives and the notification
 * names who that was.
 */
export async function answerApproval(client: ApprovalClient, instanceId: string, decision: ApprovalDecision): Promise<ApprovalOutcome> {
  const status = await getStatusOrUndefined(client, instanceId);
  if (!status) return { outcome: "notFound", instanceId };
  const runtimeStatus = String(status.runtimeStatus);
  if (runtimeStatus !== "Running") return { outcome: "notRunning", instanceId, runtimeStatus };
  const stage = stageOf(status.customStatus);
  if (stage !== APPROVAL_STAGE) return { outcome: "notWaiting", instanceId, stage };
  await client.raiseEvent(instanceId, APPROVAL_EVENT, decision);
  return { outcome: "raised", instanceId, decision };
}
