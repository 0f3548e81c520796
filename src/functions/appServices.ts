import type { InvocationContext } from "@azure/functions";
import { createActivities } from "../activities";
import type { ActivityImplementations } from "../activities/catalog";
import type { NotificationPublisher } from "../activities/deps";
import { productionActivityDeps, productionPublisher } from "../azure/productionDeps";
import { loadConfig } from "../config";
import { systemClock, type Clock } from "../domain/clock";
import type { IntakeDeps } from "../intake/intake";
import { intakePolicyFrom, settingsWarnings, type IntakePolicy } from "../intake/policy";
import type { StartClient } from "../intake/startOnce";

/**
 * Process-wide services of the Function App, built on first use (not at import, so a bad setting
 * fails the first invocation with a clear message instead of the whole worker).
 * Not a registration module, though the `main` glob loads it: it registers nothing.
 */
interface AppServices {
  activities: ActivityImplementations;
  publisher: NotificationPublisher;
  policy: IntakePolicy;
  clock: Clock;
}

let services: AppServices | undefined;

function current(): AppServices {
  if (!services) {
    const config = loadConfig();
    // Functions sends console output to the app's logs: the operator sees what a setting will not do.
    for (const warning of settingsWarnings(config)) console.warn(`flowdeploy settings: ${warning}`);
    services = { activities: createActivities(productionActivityDeps(config)), publisher: productionPublisher(config), policy: intakePolicyFrom(config), clock: systemClock };
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
