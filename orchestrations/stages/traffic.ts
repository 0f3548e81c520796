import type { EndpointState } from "../../src/contracts/activities";
import { runLog } from "../runLog";
import { othersShare, replacedDeployments, trafficAfterRollout, trafficAtStep, type Traffic } from "../../src/domain/traffic";
import type { DeployRun } from "../deployRun";
import { moveTraffic, startMirror, stopMirror } from "../trafficMoves";
import { nextWindowOpening } from "../../src/domain/changeWindow";
import { deploymentsBeyondRetention, type RetainedDeployment } from "../../src/domain/retention";
import { callActivity, sleepUntil, type Step } from "../steps";
import { analyzeBake, METRICS_SETTLE_SECONDS } from "./analysis";
import { deleteDeployment } from "./deployment";
import { retirePromptFlow } from "./migration";

/**
 * Stage `traffic`: the new deployment takes the traffic the rollout strategy gives it. From here on a
 * late cancel is ignored, so live traffic never stops half-way. A canary first serves each of its
 * steps' shares for the bake and passes its analysis before the next; a failed analysis rolls the
 * split back at once (the undo `moveTraffic` registered). Once the new deployment has all the traffic
 * the run commits (nothing is undone), a `replace` rollout deletes the deployments it replaced (Azure
 * refuses to delete a deployment that still has traffic, so only now), `keepPrevious` retires
 * flowdeploy's idle deployments beyond the newest N, and a `migrate` rollout retires the endpoint's
 * prompt flow deployments beyond the newest `keepPrevious` (default 0).
 */
export function* shiftTraffic(run: DeployRun, previous: Traffic, deploymentName: string): Step<EndpointState> {
  const { rollout } = run.request;
  run.record.trafficBefore = { ...previous };
  run.record.changed();
  // The first wait for the change window, and a mirror's bake, can still be cancelled: no live traffic has moved yet.
  yield* awaitWindow(run);
  if (rollout.mirror && rollout.analysis) {
    yield* mirrorBake(run, previous, deploymentName, rollout.mirror, rollout.analysis);
    yield* awaitWindow(run);
  }
  run.cancellation.throwIfRequested();
  run.cancellation.disarm();
  let current = previous;
  if ((rollout.strategy === "canary" || rollout.strategy === "migrate") && rollout.steps && rollout.analysis && othersShare(previous, deploymentName) > 0) {
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
      if (rollout.strategy === "migrate") yield* retirePromptFlow(run, deploymentName, rollout.keepPrevious ?? 0);
      else if (rollout.keepPrevious !== undefined) yield* retire(run, deploymentName, rollout.keepPrevious);
      return state;
    },
    current !== previous ? "100% after the canary steps" : undefined,
  );
}

type Steps = NonNullable<DeployRun["request"]["rollout"]["steps"]>;
type Analysis = NonNullable<DeployRun["request"]["rollout"]["analysis"]>;
type Mirror = NonNullable<DeployRun["request"]["rollout"]["mirror"]>;

/**
 * rollout.mirror: the endpoint copies `percent` of its live calls to the new deployment for the bake
 * (clients keep the live deployment's answers), then the copies' metrics are judged as a canary
 * step's. The mirror is stopped before anything else happens, healthy or not; a failure or cancel
 * stops it through the unwind. With no live traffic there is nothing to copy: the step is skipped.
 */
function* mirrorBake(run: DeployRun, live: Traffic, deploymentName: string, mirror: Mirror, analysis: Analysis): Step<void> {
  const { ctx, record } = run;
  const note = `mirror ${mirror.percent}%`;
  if (othersShare(live, deploymentName) === 0) {
    yield* record.stage("traffic", function* () {}, `${note} skipped: no live traffic to copy`);
    return;
  }
  yield* record.stage("traffic", () => startMirror(run, live, deploymentName, mirror.percent), note);
  const { from, to } = bakeWindow(ctx.df.currentUtcDateTime, mirror.bakeMinutes);
  record.mirror = { percent: mirror.percent, bakeUntil: to.toISOString() };
  record.changed();
  try {
    yield* sleepUntil(ctx, new Date(to.getTime() + METRICS_SETTLE_SECONDS * 1000));
    record.mirror = { ...record.mirror, bakeUntil: null };
    yield* analyzeBake(run, deploymentName, analysis, { from, to }, note);
  } finally {
    record.mirror = undefined;
    record.changed();
  }
  yield* record.stage("traffic", () => stopMirror(run, live, deploymentName), `${note} stopped`);
}

/** The metrics' grain is one minute (PT1M): a bake is judged from the first whole minute it served. */
function bakeWindow(now: Date, bakeMinutes: number): { from: Date; to: Date } {
  const from = new Date(Math.ceil(now.getTime() / 60_000) * 60_000);
  return { from, to: new Date(from.getTime() + bakeMinutes * 60_000) };
}

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
    const { from, to } = bakeWindow(ctx.df.currentUtcDateTime, step.bakeMinutes);
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
    runLog(ctx, "traffic", "listing the endpoint's deployments for retention failed; none deleted");
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
