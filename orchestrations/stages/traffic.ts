import type { EndpointState } from "../../src/contracts/activities";
import { othersShare, replacedDeployments, trafficAfterRollout, trafficAtStep, type Traffic } from "../../src/domain/traffic";
import type { DeployRun } from "../deployRun";
import { moveTraffic } from "../trafficMoves";
import { nextWindowOpening } from "../../src/domain/changeWindow";
import { deploymentsBeyondRetention, type RetainedDeployment } from "../../src/domain/retention";
import { callActivity, sleepUntil, type Step } from "../steps";
import { analyzeBake, METRICS_SETTLE_SECONDS } from "./analysis";
import { deleteDeployment } from "./deployment";

/**
 * Stage `traffic`: the new deployment takes the traffic the rollout strategy gives it. From here on a
 * late cancel is ignored, so live traffic never stops half-way. A canary first serves each of its
 * steps' shares for the bake and passes its analysis before the next; a failed analysis rolls the
 * split back at once (the undo `moveTraffic` registered). Once the new deployment has all the traffic
 * the run commits (nothing is undone), a `replace` rollout deletes the deployments it replaced (Azure
 * refuses to delete a deployment that still has traffic, so only now), and `keepPrevious` retires
 * flowdeploy's idle deployments beyond the newest N.
 */
export function* shiftTraffic(run: DeployRun, previous: Traffic, deploymentName: string): Step<EndpointState> {
  // The first wait for the change window can still be cancelled: no traffic has moved yet.
  yield* awaitWindow(run);
  run.cancellation.throwIfRequested();
  run.cancellation.disarm();
  const { rollout } = run.request;
  let current = previous;
  if (rollout.strategy === "canary" && rollout.steps && rollout.analysis && othersShare(previous, deploymentName) > 0) {
    current = yield* canarySteps(run, previous, deploymentName, rollout.steps, rollout.analysis);
  }
  const target = trafficAfterRollout(previous, deploymentName, rollout.strategy);
  // After canary steps the window may have closed during the bakes; without steps it was just checked.
  if (current !== previous) yield* awaitWindow(run);
  return yield* run.record.stage(
    "traffic",
    function* () {
      const state = yield* moveTraffic(run, current, target);
      run.undo.commit();
      if (rollout.strategy === "replace") {
        for (const old of replacedDeployments(previous, deploymentName)) yield* deleteDeployment(run, old);
      }
      if (rollout.keepPrevious !== undefined) yield* retire(run, deploymentName, rollout.keepPrevious);
      return state;
    },
    rollout.strategy === "canary" && current !== previous ? "100% after the canary steps" : undefined,
  );
}

type Steps = NonNullable<DeployRun["request"]["rollout"]["steps"]>;
type Analysis = NonNullable<DeployRun["request"]["rollout"]["analysis"]>;

/** Each step: move to its share, bake, judge; returns the split of the last step. */
function* canarySteps(run: DeployRun, previous: Traffic, deploymentName: string, steps: Steps, analysis: Analysis): Step<Traffic> {
  const { ctx, record } = run;
  let current = previous;
  for (const [i, step] of steps.entries()) {
    const note = `step ${i + 1} of ${steps.length}: ${step.percent}%`;
    const target = trafficAtStep(previous, deploymentName, step.percent);
    yield* awaitWindow(run);
    yield* record.stage("traffic", () => moveTraffic(run, current, target), note);
    current = target;
    // The metrics' grain is one minute (PT1M): the bake is judged from the first whole minute the step served.
    const from = new Date(Math.ceil(ctx.df.currentUtcDateTime.getTime() / 60_000) * 60_000);
    const to = new Date(from.getTime() + step.bakeMinutes * 60_000);
    record.canary = { step: i + 1, of: steps.length, percent: step.percent, bakeUntil: to.toISOString() };
    record.changed();
    yield* sleepUntil(ctx, new Date(to.getTime() + METRICS_SETTLE_SECONDS * 1000));
    record.canary = { ...record.canary, bakeUntil: null };
    yield* analyzeBake(run, deploymentName, analysis, { from, to }, note);
  }
  return current;
}

/**
 * rollout.keepPrevious: deletes flowdeploy's idle deployments of the endpoint beyond the newest N, as
 * Azure reports them now (never one with live or mirrored traffic). A failure to list or delete is
 * logged and leaves them: retention is housekeeping, not part of the rollout's outcome.
 */
function* retire(run: DeployRun, deploymentName: string, keep: number): Step<void> {
  const { ctx, request, retry } = run;
  let listed: RetainedDeployment[];
  try {
    listed = (yield* callActivity(ctx, "traffic", "listEndpointDeployments", { workspace: request.workspace, endpointName: request.endpoint.name }, retry)).deployments;
  } catch {
    if (!ctx.df.isReplaying) ctx.log(`flowdeploy: listing the deployments of ${request.endpoint.name} for retention failed; none deleted`);
    return;
  }
  for (const name of deploymentsBeyondRetention(listed, keep, deploymentName)) yield* deleteDeployment(run, name);
}

/** rollout.window: outside the change window, wait (a durable timer) until it opens; custom status says until when. */
function* awaitWindow(run: DeployRun): Step<void> {
  const { window } = run.request.rollout;
  if (!window) return;
  const { ctx, record } = run;
  const opens = nextWindowOpening(ctx.df.currentUtcDateTime, window);
  if (!opens) return;
  record.windowOpensAt = opens.toISOString();
  record.changed();
  yield* sleepUntil(ctx, opens);
  record.windowOpensAt = undefined;
  record.changed();
}
