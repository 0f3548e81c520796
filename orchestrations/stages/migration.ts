import type { DeploymentRuntimes } from "../../src/contracts/activities";
import { MAX_REPORTED_PARITY_CASES, type ParityReport } from "../../src/contracts/notification";
import { PARITY_BATCH_SIZE, parityScore } from "../../src/domain/parity";
import { PROMPT_FLOW_RETIREMENT_DATE } from "../../src/domain/promptFlowRuntime";
import { promptFlowToRetire } from "../../src/domain/retention";
import { smokeTestTimeoutSeconds } from "../../src/domain/requestSettings";
import { runLog } from "../runLog";
import type { DeployRun } from "../deployRun";
import { StageFailure } from "../failures";
import { callActivity, type Step } from "../steps";

/** A migration's starting point: the endpoint's deployments as Azure reports them, and the prompt flow one serving most. */
export interface MigrationBaseline {
  deployments: DeploymentRuntimes["deployments"];
  /** The live prompt flow deployment with the largest share: the parity check's reference. */
  baseline: string;
}

/**
 * rollout.strategy "migrate", before anything changes: the endpoint must exist and serve live traffic
 * from a prompt flow deployment (its runtime read from Azure, never from the request); otherwise the
 * run ends here (NothingToMigrate) with nothing created.
 */
export function* findMigrationBaseline(run: DeployRun): Step<MigrationBaseline> {
  const { ctx, request, retry } = run;
  return yield* run.record.stage(
    "endpoint",
    function* () {
      const { deployments } = yield* callActivity(ctx, "endpoint", "describeRuntimes", { workspace: request.workspace, endpointName: request.endpoint.name }, retry);
      const live = deployments.filter((d) => d.promptFlow && d.traffic > 0).sort((a, b) => b.traffic - a.traffic || a.name.localeCompare(b.name));
      const baseline = live[0];
      if (!baseline) {
        const what = deployments.length === 0 ? `endpoint ${request.endpoint.name} does not exist or has no deployments` : `no deployment of endpoint ${request.endpoint.name} serves live traffic on the prompt flow runtime`;
        throw new StageFailure("endpoint", "NothingToMigrate", `${what}; a "migrate" rollout moves a live prompt flow endpoint to an agent (use blueGreen or canary for a new one)`);
      }
      return { deployments, baseline: baseline.name };
    },
    "migration baseline",
  );
}

/**
 * Stage `parity`: the request's inputs (inline, or read from `parity.inputsFile` by readParityInputs)
 * are scored on the prompt flow deployment and on the agent, in
 * batches (each batch one activity, within seconds), and compared by its rules. The report (score and
 * the first failing cases) goes into the notification whatever the verdict; below `minScorePercent`
 * the run fails here, before any live traffic, and the unwind removes the agent as `onFailure` says.
 */
export function* checkParity(run: DeployRun, baseline: string, candidate: string): Step<ParityReport | undefined> {
  const { ctx, request, retry, input } = run;
  const parity = request.parity;
  if (!parity) return undefined;
  return yield* run.record.stage("parity", function* () {
    // Inputs from a datastore file are read first, inside the stage (a bad file fails it); inline
    // inputs schedule nothing more, so the histories of runs without `inputsFile` replay unchanged.
    let inputs = parity.inputs ?? [];
    if (parity.inputsFile !== undefined) {
      const read = yield* callActivity(ctx, "parity", "readParityInputs", { workspace: request.workspace, uri: parity.inputsFile }, retry);
      inputs = read.inputs;
      runLog(ctx, "parity", `read ${inputs.length} parity inputs (${read.bytes} bytes) from ${parity.inputsFile}`);
    }
    const results: { index: number; passed: boolean; reasons: string[] }[] = [];
    for (let start = 0; start < inputs.length; start += PARITY_BATCH_SIZE) {
      const cases = inputs.slice(start, start + PARITY_BATCH_SIZE).map((caseInput, i) => ({ index: start + i, input: caseInput }));
      const batch = yield* callActivity(
        ctx,
        "parity",
        "checkParity",
        {
          workspace: request.workspace,
          endpointName: request.endpoint.name,
          baseline,
          candidate,
          authMode: request.endpoint.authMode,
          cases,
          rules: parity.rules,
          timeoutSeconds: smokeTestTimeoutSeconds(input.smokeTest.timeoutSeconds, request.deployment),
        },
        retry,
      );
      results.push(...batch.cases);
    }
    const passed = results.filter((c) => c.passed).length;
    const report: ParityReport = {
      baseline,
      candidate,
      cases: results.length,
      passed,
      scorePercent: parityScore(passed, results.length),
      minScorePercent: parity.minScorePercent,
      failing: results.filter((c) => !c.passed).slice(0, MAX_REPORTED_PARITY_CASES).map((c) => ({ index: c.index, reasons: c.reasons })),
    };
    run.record.parity = report;
    run.record.changed();
    if (report.scorePercent < parity.minScorePercent) {
      const first = report.failing[0];
      throw new StageFailure(
        "parity",
        "ParityFailed",
        `${passed} of ${results.length} cases match ${baseline} (${report.scorePercent}%); at least ${parity.minScorePercent}% needed. First failing case #${first?.index}: ${first?.reasons.join("; ")}`,
      );
    }
    return report;
  });
}

/**
 * After the agent took all traffic: the endpoint's prompt flow deployments now at 0% (live and
 * mirrored) are retired — deleted — beyond the newest `keepPrevious` (default 0: the migration's point
 * is to stop running a runtime that gets no more fixes and retires on PROMPT_FLOW_RETIREMENT_DATE).
 * One flowdeploy did not create is deleted only when FLOWDEPLOY_ADOPT_ENDPOINTS allows; otherwise the
 * activity leaves it at 0% and says so. Housekeeping: a failure is logged, not the run's outcome.
 */
export function* retirePromptFlow(run: DeployRun, newDeployment: string, keep: number): Step<void> {
  const { ctx, request, retry } = run;
  let listed: DeploymentRuntimes["deployments"];
  try {
    listed = (yield* callActivity(ctx, "traffic", "describeRuntimes", { workspace: request.workspace, endpointName: request.endpoint.name }, retry)).deployments;
  } catch {
    runLog(ctx, "traffic", "listing the endpoint's deployments to retire the prompt flow failed; none deleted");
    return;
  }
  for (const name of promptFlowToRetire(listed, newDeployment, keep)) {
    try {
      const result = yield* callActivity(ctx, "deployment", "deleteDeployment", { workspace: request.workspace, endpointName: request.endpoint.name, deploymentName: name, retireAdopted: true }, retry);
      if (result.existed && result.deleted !== false) {
        run.record.retired.push(name);
        runLog(ctx, "traffic", `retired prompt flow deployment ${name} (prompt flow retires on ${PROMPT_FLOW_RETIREMENT_DATE})`);
      } else if (result.deleted === false) {
        runLog(ctx, "traffic", `prompt flow deployment ${name} was not created by flowdeploy: left at 0% (set FLOWDEPLOY_ADOPT_ENDPOINTS to let migrations retire it)`);
      }
    } catch {
      runLog(ctx, "traffic", `retiring prompt flow deployment ${name} failed; it keeps 0% traffic`);
    }
  }
}
