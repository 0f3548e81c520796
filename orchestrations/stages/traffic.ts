import type { EndpointState } from "../../src/contracts/activities";
import { replacedDeployments, trafficAfterRollout, type Traffic } from "../../src/domain/traffic";
import type { DeployRun } from "../deployRun";
import { moveTraffic } from "../trafficMoves";
import { type Step } from "../steps";
import { deleteDeployment } from "./deployment";

/**
 * Stage `traffic`: the new deployment takes the traffic the rollout strategy gives it. From here on a
 * late cancel is ignored, so live traffic never stops half-way; once the split has moved the run
 * commits (nothing is undone), and a `replace` rollout deletes the deployments it replaced (Azure
 * refuses to delete a deployment that still has traffic, so only now).
 */
export function* shiftTraffic(run: DeployRun, previous: Traffic, deploymentName: string): Step<EndpointState> {
  run.cancellation.throwIfRequested();
  run.cancellation.disarm();
  const target = trafficAfterRollout(previous, deploymentName, run.request.rollout.strategy);
  return yield* run.record.stage("traffic", function* () {
    const state = yield* moveTraffic(run, previous, target);
    run.undo.commit();
    if (run.request.rollout.strategy === "replace") {
      for (const old of replacedDeployments(previous, deploymentName)) yield* deleteDeployment(run, old);
    }
    return state;
  });
}
