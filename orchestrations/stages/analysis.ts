import type { HealthVerdict } from "../../src/contracts/activities";
import type { AnalysisSpec } from "../../src/contracts/deployRequest";
import type { DeployRun } from "../deployRun";
import { StageFailure } from "../failures";
import { callActivity, type Step } from "../steps";

/**
 * Azure Monitor platform metrics can take a few minutes to arrive; the most recent minutes of a query
 * may be partial (Azure Monitor, "Azure Monitor Metrics overview": data is collected at one-minute
 * frequency and typically available within minutes). A bake is judged this long after it ends.
 */
export const METRICS_SETTLE_SECONDS = 180;

/**
 * Stage `analysis`: judges the new deployment's health over a bake window from its Azure Monitor
 * metrics. Anything but healthy fails the stage with the figures: the unwind then restores the split
 * from before the rollout in one traffic update, and the new deployment is handled per
 * rollout.onFailure.
 */
export function* analyzeBake(run: DeployRun, deploymentName: string, analysis: AnalysisSpec, window: { from: Date; to: Date }, note: string): Step<HealthVerdict> {
  const { ctx, request, retry, record } = run;
  return yield* record.stage(
    "analysis",
    function* () {
      const verdict = yield* callActivity(
        ctx,
        "analysis",
        "analyzeDeploymentHealth",
        { workspace: request.workspace, endpointName: request.endpoint.name, deploymentName, from: window.from.toISOString(), to: window.to.toISOString(), analysis },
        retry,
      );
      record.lastAnalysis = verdict;
      record.changed();
      if (verdict.verdict === "healthy") return verdict;
      const figures = `${verdict.requests} requests, ${verdict.errors} errors (${verdict.errorRatePercent ?? "–"}%), P95 ${verdict.p95LatencyMs ?? "–"} ms`;
      if (verdict.verdict === "insufficient") {
        throw new StageFailure("analysis", "InsufficientTraffic", `${note}: ${figures}, fewer than the ${analysis.minRequests} needed to judge it`);
      }
      throw new StageFailure("analysis", "AnalysisFailed", `${note}: ${verdict.reasons.join("; ")} (${figures})`);
    },
    note,
  );
}
