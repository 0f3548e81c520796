import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import { scopedLogger } from "./runScope";
import type { AzureMachineLearningWorkspaces } from "@azure/arm-machinelearning";
import type { MonitorClient } from "@azure/arm-monitor";
import type { ManagedServiceIdentityClient } from "@azure/arm-msi";
import type { BlobServiceClient } from "@azure/storage-blob";
import type { DeploymentNotification } from "../contracts/notification";
import type { Clock } from "../domain/clock";
import { DEFAULT_SERVING_IMAGE } from "../domain/promptFlowRuntime";

export type { ScoreRequest, ScoreResponse, ScoringClient } from "./scoring";
import {
  createAuthorizationClient,
  createBlobServiceClient,
  createMachineLearningClient,
  createManagedIdentityClient,
  createMonitorClient,
  createScoringClient,
  type AzureClientOptions,
} from "../azure/clients";
import type { ScoringClient } from "./scoring";

/** Publishes a notification on the notifications topic (the notify activity's only effect). */
export interface NotificationPublisher {
  publish(notification: DeploymentNotification, messageId: string): Promise<void>;
}

export interface ActivityLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ActivitySettings {
  /** The prompt flow serving image (the runtime image with `/score` and `/health` on port 8080). */
  servingImage: string;
  /** Name of the environment asset registered for that image; its version is a digest of its content. */
  servingEnvironment: { name: string };
  /** FLOWDEPLOY_ADOPT_ENDPOINTS: may flowdeploy change endpoints and deployments it did not create? */
  adoptEndpoints: boolean;
  /** The ARM endpoint the clients talk to: the only origin an operation URL may have (the token goes there). */
  armEndpoint: string;
  /** Hosts (suffixes) a scoring URI must be on, over https, before the key is sent to it. */
  scoringHostSuffixes: readonly string[];
  /**
   * Where Blob storage is, when not in Azure: an https origin serving accounts path-style
   * (`<blobEndpoint>/<account>`, as Azurite and the simulator do). Unset in Azure: a datastore's account
   * is `https://<account>.blob.<its endpoint>`.
   */
  blobEndpoint?: string | undefined;
}

/**
 * Everything an activity touches, injected (Temporal's `createActivities(deps)` pattern): the
 * Function App passes real SDK clients; tests and the local runner pass clients pointed at the
 * simulator. Clients are per subscription because a request names its workspace's subscription.
 */
export interface ActivityDeps {
  ml(subscriptionId: string): AzureMachineLearningWorkspaces;
  authz(subscriptionId: string): AuthorizationManagementClient;
  msi(subscriptionId: string): ManagedServiceIdentityClient;
  /** Azure Monitor metrics (Metrics – List) of the endpoints. */
  monitor(subscriptionId: string): MonitorClient;
  /** Blob storage of one account (`https://<account>.blob.core.windows.net`), with the ARM clients' credential and CA. */
  blob(accountUrl: string): BlobServiceClient;
  scoring: ScoringClient;
  bus: NotificationPublisher;
  clock: Clock;
  settings: ActivitySettings;
  log?: ActivityLogger;
}

/**
 * Prompt flow's serving runtime image (Azure ML "deploy a flow to an online endpoint" how-to); its
 * inference server serves `/score` and `/health` on port 8080.
 */
export const DEFAULT_ACTIVITY_SETTINGS: ActivitySettings = {
  servingImage: DEFAULT_SERVING_IMAGE,
  servingEnvironment: { name: "flowdeploy-promptflow-serving" },
  adoptEndpoints: false,
  armEndpoint: "https://management.azure.com",
  // Managed online endpoints score at https://<endpoint>.<region>.inference.ml.azure.com/score (public Azure).
  scoringHostSuffixes: ["inference.ml.azure.com"],
};

/**
 * What differs between the places the activities run (the Function App, the local stack, tests):
 * where ARM is and how to reach it, where notifications go, the clock, and settings that differ from
 * DEFAULT_ACTIVITY_SETTINGS. `createActivityDeps` builds the rest the same way everywhere.
 */
export interface ActivityEnvironment {
  /** The ARM clients' endpoint (default public Azure), credential (default DefaultAzureCredential), extra CA and retry policy. */
  arm: Omit<AzureClientOptions, "subscriptionId">;
  bus: NotificationPublisher;
  clock: Clock;
  /** Only what differs from DEFAULT_ACTIVITY_SETTINGS; `armEndpoint` follows `arm.endpoint`. */
  settings?: Partial<Omit<ActivitySettings, "armEndpoint">>;
  log?: ActivityLogger;
}

/**
 * The activities' dependencies: one SDK client per subscription and kind (made on first use, then
 * reused), a Blob client per storage account, and a scoring client trusting the same extra CA as the
 * ARM clients.
 */
export function createActivityDeps(env: ActivityEnvironment): ActivityDeps {
  const client = <T>(make: (options: AzureClientOptions) => T) => perKey((subscriptionId) => make({ ...env.arm, subscriptionId }));
  return {
    ml: client(createMachineLearningClient),
    authz: client(createAuthorizationClient),
    msi: client(createManagedIdentityClient),
    monitor: client(createMonitorClient),
    blob: perKey((accountUrl) => createBlobServiceClient(env.arm, accountUrl)),
    scoring: createScoringClient(env.arm.caCertPem ? { caCertPem: env.arm.caCertPem } : {}),
    bus: env.bus,
    clock: env.clock,
    settings: {
      ...DEFAULT_ACTIVITY_SETTINGS,
      ...withoutUndefined(env.settings ?? {}),
      // The origin an operation URL must have is the one the clients (and their token) talk to.
      ...(env.arm.endpoint ? { armEndpoint: env.arm.endpoint } : {}),
    },
    // Every activity line says which run and stage it is for (src/activities/runScope.ts).
    log: scopedLogger(env.log),
  };
}

/** A setting left undefined keeps its default. */
function withoutUndefined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function perKey<T>(make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) cache.set(key, (value = make(key)));
    return value;
  };
}
