import { TERMINAL_STATES, type EndpointState, type GrantRolesResult } from "../../src/contracts/activities";
import type { DeployRun } from "../deployRun";
import { CancelRequested, StageFailure } from "../failures";
import { callActivity, pollUntilTerminal, type Step } from "../steps";
import { grantRoles } from "./roles";

export interface ReadyEndpoint {
  state: EndpointState;
  /** The grant made while the endpoint provisioned (its system-assigned principal appeared), if any. */
  grant: GrantRolesResult | undefined;
}

/**
 * Stage `endpoint`: creates the managed online endpoint or reuses the one that exists, and waits
 * until it is ready. A system-assigned principal appears while the endpoint provisions: with
 * `grantOnPrincipal` the roles are granted right away, so the propagation clock starts sooner (stage
 * `roles` runs inside this one; its failure cuts this one short: Skipped). A principal first seen on
 * the ready endpoint (an existing one, or one whose principal came with its last answer) is granted
 * once this stage has Succeeded: the roles stage follows it, and its failure leaves this record as it
 * was. The activities are the same either way (the last poll, then the grant).
 * Nothing to undo: an endpoint is kept (reused by the next run), and its traffic is not changed here.
 */
export function* createOrReuseEndpoint(run: DeployRun, options: { grantOnPrincipal: boolean }): Step<ReadyEndpoint> {
  const { ctx, request, retry, polls } = run;
  const { workspace } = request;
  const endpointName = request.endpoint.name;
  let grant: GrantRolesResult | undefined;
  const state = yield* run.record.stage("endpoint", function* () {
    const started = yield* callActivity(ctx, "endpoint", "ensureEndpoint", { workspace, endpoint: request.endpoint, tags: { "flowdeploy.requestId": request.requestId } }, retry);
    const ready = yield* pollUntilTerminal(
      ctx,
      "endpoint",
      polls.endpoint,
      started,
      () => callActivity(ctx, "endpoint", "getEndpointState", { workspace, endpointName, operationUrl: started.operationUrl }, retry),
      {
        onPoll: function* (s) {
          if (options.grantOnPrincipal && !grant && s.principalId && !TERMINAL_STATES.includes(s.provisioningState)) grant = yield* grantRoles(run, s.principalId);
        },
      },
    );
    if (ready.provisioningState !== "Succeeded") {
      const failure = new StageFailure("endpoint", ready.error?.code ?? "EndpointNotReady", ready.error?.message ?? `endpoint ${endpointName} is ${ready.provisioningState}`);
      // A failed endpoint's principal is still granted, as earlier versions did (their histories
      // replay); the endpoint's failure is what ends the run, whatever the grant's outcome.
      if (options.grantOnPrincipal && !grant && ready.principalId) {
        try {
          yield* grantRoles(run, ready.principalId);
        } catch (err) {
          if (err instanceof CancelRequested) throw err;
        }
      }
      throw failure;
    }
    return ready;
  });
  run.endpoint = state;
  if (options.grantOnPrincipal && !grant && state.principalId) grant = yield* grantRoles(run, state.principalId);
  return { state, grant };
}

/** The roles of a system-assigned identity that was not granted while its endpoint provisioned (an existing endpoint). */
export function* grantSystemAssignedIdentity(run: DeployRun, endpoint: EndpointState): Step<GrantRolesResult> {
  if (!endpoint.principalId) throw new StageFailure("roles", "PrincipalMissing", `endpoint ${run.request.endpoint.name} has no managed identity principal`);
  return yield* grantRoles(run, endpoint.principalId);
}
