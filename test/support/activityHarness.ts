import { createActivities } from "../../src/activities";
import type { ActivityImplementations } from "../../src/activities/catalog";
import { createActivityDeps, type ActivityDeps } from "../../src/activities/deps";
import { staticTokenCredential } from "../../src/azure/staticCredential";
import type { DeploymentNotification } from "../../src/contracts/notification";
import { VirtualClock } from "../../src/local/clock";
import { startSimulator, type ScenarioInput, type Simulator } from "../../src/local/simulator";

export interface ActivityHarness {
  sim: Simulator;
  clock: VirtualClock;
  activities: ActivityImplementations;
  /** The clients the activities use (one per subscription and kind), e.g. to watch what they send. */
  deps: ActivityDeps;
  /** The same activities over the same simulator, with other settings (e.g. another serving image). */
  withSettings(settings: Partial<ActivityDeps["settings"]>): ActivityImplementations;
  published: { notification: DeploymentNotification; messageId: string }[];
  logs: string[];
  close(): Promise<void>;
}

/**
 * The real activities with real SDK clients, over HTTPS, against the simulator on a virtual clock.
 * The SDK's own retry policy is kept (429 with Retry-After is retried by core-rest-pipeline), but
 * with zero back-off delay so a test does not sleep.
 */
export async function startActivityHarness(scenario?: ScenarioInput, settings: Partial<ActivityDeps["settings"]> = {}): Promise<ActivityHarness> {
  const clock = new VirtualClock("2026-11-23T10:00:00.000Z");
  const sim = await startSimulator({ clock, ...(scenario ? { scenario } : {}) });
  const published: ActivityHarness["published"] = [];
  const logs: string[] = [];
  const deps = createActivityDeps({
    arm: { endpoint: sim.url, caCertPem: sim.caCertPem, credential: staticTokenCredential(), retryOptions: { maxRetries: 3, retryDelayInMs: 1, maxRetryDelayInMs: 5 } },
    bus: { publish: async (notification, messageId) => void published.push({ notification, messageId }) },
    clock,
    // The simulator serves Blob storage path-style on its own origin, as Azurite does.
    settings: { scoringHostSuffixes: [new URL(sim.url).hostname], blobEndpoint: sim.url, ...settings },
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
  });
  return {
    sim,
    clock,
    activities: createActivities(deps),
    deps,
    withSettings: (more) => createActivities({ ...deps, settings: { ...deps.settings, ...more } }),
    published,
    logs,
    close: () => sim.close(),
  };
}

/** Fast-forwards the virtual clock (the simulator derives LRO and propagation state from it). */
export function advanceMinutes(h: ActivityHarness, minutes: number): void {
  h.clock.advanceBy(minutes * 60_000);
}

/** The simulator's seeded workspace, in the contracts' shape. */
export function simWorkspace(h: ActivityHarness): { subscriptionId: string; resourceGroup: string; name: string } {
  const ws = h.sim.workspace;
  return { subscriptionId: ws.subscriptionId, resourceGroup: ws.resourceGroup, name: ws.workspace };
}
