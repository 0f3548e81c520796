import type * as df from "durable-functions";
import { CANCEL_EVENT } from "../domain/ids";
import { getStatusOrUndefined } from "./instanceStatus";

/** What an operator's cancel asks the orchestration; the reason ends up in the Cancelled notification. */
export interface CancelRequest {
  reason: string;
}

export type CancelOutcome =
  | { outcome: "requested"; instanceId: string; stage: string | null }
  | { outcome: "notFound"; instanceId: string }
  | { outcome: "notRunning"; instanceId: string; runtimeStatus: string }
  | { outcome: "tooLate"; instanceId: string; stage: string };

/** Stages after which a cancel is no longer honoured: traffic is moving or has moved. */
const PAST_CANCEL = new Set(["traffic", "notify", "done"]);

export type CancelClient = Pick<df.DurableClient, "getStatus" | "raiseEvent">;

/**
 * Asks a running deployment to cancel: raises the cancel event, which the orchestration handles
 * inside its critical section (cleanup per `rollout.onFailure`, a Cancelled notification, the lock
 * released). Finished or unknown instances are reported, not signalled; a run already moving traffic
 * finishes (the orchestration ignores a late cancel, so live traffic never stops half-way).
 */
export async function requestCancel(client: CancelClient, instanceId: string, request: CancelRequest): Promise<CancelOutcome> {
  const status = await getStatusOrUndefined(client, instanceId);
  if (!status) return { outcome: "notFound", instanceId };
  const runtimeStatus = String(status.runtimeStatus);
  if (runtimeStatus !== "Running" && runtimeStatus !== "Pending") return { outcome: "notRunning", instanceId, runtimeStatus };
  const stage = stageOf(status.customStatus);
  // The run says whether it still honours a cancel; a status written before it said so is judged by its stage.
  const cancellable = (status.customStatus as { cancellable?: unknown } | null | undefined)?.cancellable;
  const tooLate = typeof cancellable === "boolean" ? !cancellable : stage !== null && PAST_CANCEL.has(stage);
  if (tooLate) return { outcome: "tooLate", instanceId, stage: stage ?? "(unknown)" };
  await client.raiseEvent(instanceId, CANCEL_EVENT, request);
  return { outcome: "requested", instanceId, stage };
}

/** The deployFlow stage its custom status shows (`queued`, `deployment`, ...), or null. */
export function stageOf(customStatus: unknown): string | null {
  const stage = (customStatus as { stage?: unknown } | null | undefined)?.stage;
  return typeof stage === "string" ? stage : null;
}
