import type { EndpointState } from "../src/contracts/activities";
import type { Traffic } from "../src/domain/traffic";
import type { DeployRun } from "./deployRun";
import { StageFailure } from "./failures";
import { callActivity, pollUntilTerminal, type Step } from "./steps";

/**
 * The one way the run changes an endpoint's traffic: set the split, wait for the update to finish,
 * and register how to undo it (restore the split it replaced) until the run commits. Rollouts,
 * canary steps, rollbacks and mirrors all move traffic through here, in the `traffic` stage. Only the
 * first move of a run registers its undo: undoing it restores the split from before the run in one
 * update, however many steps moved since.
 */
export function* moveTraffic(run: DeployRun, from: Traffic, to: Traffic): Step<EndpointState> {
  const state = yield* applyTraffic(run, to);
  run.endpoint = state;
  run.undo.registerOnce("traffic", `restore traffic ${describe(from)}`, function* () {
    run.endpoint = yield* applyTraffic(run, from);
  });
  return state;
}

/**
 * Mirrors `percent` of the live calls to `deploymentName` (live traffic stays `live`), and registers
 * the undo that stops it; `stopMirror` stops it on the way out of the bake and settles that undo.
 * A failure or cancel in between unwinds it with the rest, so the mirror never outlives the run.
 */
export function* startMirror(run: DeployRun, live: Traffic, deploymentName: string, percent: number): Step<EndpointState> {
  run.undo.registerOnce("mirror", `stop mirroring to ${deploymentName}`, function* () {
    run.endpoint = yield* applyTraffic(run, run.endpoint?.traffic ?? live, { [deploymentName]: 0 });
  });
  const state = yield* applyTraffic(run, live, { [deploymentName]: percent });
  run.endpoint = state;
  return state;
}

export function* stopMirror(run: DeployRun, live: Traffic, deploymentName: string): Step<EndpointState> {
  const state = yield* applyTraffic(run, live, { [deploymentName]: 0 });
  run.endpoint = state;
  run.undo.settle("mirror");
  return state;
}

function* applyTraffic(run: DeployRun, traffic: Traffic, mirror?: Traffic): Step<EndpointState> {
  const stage = "traffic";
  const { ctx, request, retry, polls } = run;
  const { workspace } = request;
  const endpointName = request.endpoint.name;
  const started = yield* callActivity(ctx, stage, "setTraffic", { workspace, endpointName, traffic, ...(mirror ? { mirror } : {}) }, retry);
  const state = yield* pollUntilTerminal(ctx, stage, polls.traffic, started, () => callActivity(ctx, stage, "getEndpointState", { workspace, endpointName, operationUrl: started.operationUrl }, retry));
  if (state.provisioningState !== "Succeeded") {
    throw new StageFailure(stage, state.error?.code ?? "TrafficUpdateFailed", state.error?.message ?? `traffic update left ${endpointName} ${state.provisioningState}`);
  }
  return state;
}

function describe(traffic: Traffic): string {
  const entries = Object.entries(traffic);
  return entries.length === 0 ? "(none)" : entries.map(([name, percent]) => `${name}=${percent}`).join(", ");
}
