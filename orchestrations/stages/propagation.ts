import type { GrantRolesResult } from "../../src/contracts/activities";
import type { StageRecord } from "../../src/contracts/notification";
import { propagationMinutesOf, TARGET_PROPAGATION, targetKindOf } from "../../src/domain/targets";
import { propagationDeadline } from "../../src/domain/time";
import type { DeployRun } from "../deployRun";
import { sleepUntil, type Step } from "../steps";

export interface Propagation {
  /** When the role assignments can be relied on: the grant + propagationMinutes (at least the target's minimum). */
  deadline: Date;
  record: StageRecord;
}

/**
 * Stage `propagation` opens at the grant: role assignments take time to take effect (each target's
 * documented wait: src/domain/targets.ts), and the wait counts from the grant, overlapping the model and
 * deployment stages. Roles granted by an earlier run open it now, with a note.
 */
export function startPropagation(run: DeployRun, grant: GrantRolesResult): Propagation {
  const rule = TARGET_PROPAGATION[targetKindOf(run.request)];
  const deadline = propagationDeadline(grant.grantedAt, propagationMinutesOf(run.request), rule.minimumMinutes);
  run.record.propagationDeadline = deadline.toISOString();
  const record = run.record.openStage("propagation", grant.grantedAt, `the roles were granted before this run (last at ${grant.grantedAt}); the wait counts from then`);
  return { deadline, record };
}

/** Waits out what is left of the propagation (by now most of it passed while the deployment provisioned). */
export function* awaitPropagation(run: DeployRun, propagation: Propagation): Step<void> {
  const { ctx } = run;
  if (ctx.df.currentUtcDateTime.getTime() < propagation.deadline.getTime()) {
    run.record.waitIn(propagation.record);
    yield* sleepUntil(ctx, propagation.deadline);
  }
  run.record.closeStage(propagation.record);
}
