import type { InvocationContext } from "@azure/functions";
import { logLine } from "../domain/logLine";
import { createActivities } from "../activities";
import type { ActivityImplementations } from "../activities/catalog";
import { createActivityDeps, type NotificationPublisher } from "../activities/deps";
import { productionActivityEnvironment } from "../azure/productionDeps";
import { loadConfig } from "../config";
import type { Clock } from "../domain/clock";
import type { IntakeDeps } from "../intake/intake";
import { intakePolicyFrom, settingsWarnings, type IntakePolicy } from "../intake/policy";
import type { StartClient } from "../intake/startOnce";
import type { DeployRequest } from "../contracts/deployRequest";
import { planRequest, type PlanResult } from "../intake/planRequest";
import { planDeployment, type DeploymentPlan } from "../plan/planDeployment";

/**
 * Process-wide services of the Function App, built on first use (not at import, so a bad setting
 * fails the first invocation with a clear message instead of the whole worker).
 * Not a registration module, though the `main` glob loads it: it registers nothing.
 */
interface AppServices {
  activities: ActivityImplementations;
  /** Dry runs (`POST /api/deployments?dryRun=true`): the same clients, reading only. */
  plan: (request: DeployRequest) => Promise<DeploymentPlan>;
  publisher: NotificationPublisher;
  policy: IntakePolicy;
  clock: Clock;
}

let services: AppServices | undefined;

function current(): AppServices {
  if (!services) {
    const config = loadConfig();
    // Functions sends console output to the app's logs: the operator sees what a setting will not do.
    for (const warning of settingsWarnings(config)) console.warn(logLine({}, `flowdeploy settings: ${warning}`));
    const deps = createActivityDeps(productionActivityEnvironment(config));
    // Rejections published by the triggers go through the notify activity's publisher (one Service Bus connection).
    services = { activities: createActivities(deps), plan: (request) => planDeployment(deps, request), publisher: deps.bus, policy: intakePolicyFrom(config), clock: deps.clock };
  }
  return services;
}

/**
 * Replaces the services behind the registered functions. Only the local stand-ins call this (the
 * local runner and `flowdeploy serve` run the same registrations against the simulator and broker);
 * the Function App always uses the production services.
 */
export function useAppServices(replacement: AppServices): void {
  services = replacement;
}

export function appActivities(): ActivityImplementations {
  return current().activities;
}

/** Plans a request with the app's clients and policy (a dry run). */
/** A dry run with the app's policy and Azure clients; `client` (the Durable client) also checks the request id. */
export function planWithApp(body: unknown, client?: Pick<StartClient, "getStatus">): Promise<PlanResult> {
  const s = current();
  return planRequest(body, s.policy, s.plan, client);
}

/** What the approve and reject routes read: who may answer, whether the host's identity headers can be believed, and the app's clock. */
export function approvalSettings(): { approvers: readonly string[]; trustClientPrincipal: boolean; clock: Clock } {
  const s = current();
  return { approvers: s.policy.approvers, trustClientPrincipal: s.policy.trustClientPrincipal, clock: s.clock };
}

export function intakeDeps(client: StartClient, context: InvocationContext): IntakeDeps {
  const s = current();
  return {
    client,
    policy: s.policy,
    publishRejected: (n, id) => s.publisher.publish(n, id),
    clock: s.clock,
    log: (m) => context.log(m),
  };
}
