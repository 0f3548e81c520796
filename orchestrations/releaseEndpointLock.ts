/**
 * releaseEndpointLock: frees the endpoint lock of a deployment that can no longer release it itself
 * (terminated, or failed by a replay non-determinism error: the Durable extension releases a
 * critical section implicitly only when the orchestrator returns normally).
 *
 * It runs under the *dead holder's instance id* (a start over a Failed or Terminated instance is
 * allowed: `overridableExistingInstanceStates` defaults to NonRunningStates). The extension's entity
 * scheduler identifies a lock holder by instance id alone: requests from the holder's id go straight
 * through, and a release whose parent instance is `LockedBy` frees it (azure-functions-durable-extension
 * DurableTaskExtension.cs, release and lock-holder handling; the same rule as the extension's own
 * CleanEntityStorage "release orphaned locks"). So this takes the lock at once and releases it; if
 * someone else holds the lock meanwhile, it simply waits its turn and lets go.
 */
import * as df from "durable-functions";
import { RELEASE_ENDPOINT_LOCK } from "../src/contracts/orchestration";
import type { ReleaseEndpointLockInput } from "../src/contracts/orchestration";
import { ENDPOINT_LOCK_ENTITY, endpointLockKey } from "../src/domain/ids";
import type { Step } from "./steps";

export { RELEASE_ENDPOINT_LOCK };

export interface ReleaseEndpointLockOutput extends ReleaseEndpointLockInput {
  releasedAt: string;
}

export function* releaseEndpointLock(ctx: df.OrchestrationContext): Step<ReleaseEndpointLockOutput> {
  const input = ctx.df.getInput() as ReleaseEndpointLockInput;
  const lock = (yield ctx.df.lock(new df.EntityId(ENDPOINT_LOCK_ENTITY, endpointLockKey(input.workspace, input.endpointName)))) as df.DurableLock;
  lock.release();
  return { ...input, releasedAt: ctx.df.currentUtcDateTime.toISOString() };
}
