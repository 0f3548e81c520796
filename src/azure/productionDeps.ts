import { readFileSync } from "node:fs";
import type { ActivityDeps, NotificationPublisher } from "../activities/deps";
import { DEFAULT_ACTIVITY_SETTINGS } from "../activities/deps";
import type { AppConfig } from "../config";
import { systemClock } from "../domain/clock";
import { createAuthorizationClient, createMachineLearningClient, createManagedIdentityClient, createScoringClient } from "./clients";
import { createNotificationPublisher, createServiceBusClient } from "./serviceBus";

/**
 * The activities' dependencies in the Function App: SDK clients per subscription against public ARM
 * (or FLOWDEPLOY_ARM_ENDPOINT with its CA, for the simulator), DefaultAzureCredential, and the
 * notifications topic.
 */
export function productionActivityDeps(config: AppConfig): ActivityDeps {
  const caCertPem = config.arm.caFile ? readFileSync(config.arm.caFile, "utf8") : undefined;
  const clientOptions = { ...(config.arm.endpoint ? { endpoint: config.arm.endpoint } : {}), ...(caCertPem ? { caCertPem } : {}) };
  const ml = memoize((subscriptionId: string) => createMachineLearningClient({ subscriptionId, ...clientOptions }));
  const authz = memoize((subscriptionId: string) => createAuthorizationClient({ subscriptionId, ...clientOptions }));
  const msi = memoize((subscriptionId: string) => createManagedIdentityClient({ subscriptionId, ...clientOptions }));
  return {
    ml,
    authz,
    msi,
    scoring: createScoringClient(caCertPem ? { caCertPem } : {}),
    bus: productionPublisher(config),
    clock: systemClock,
    settings: {
      ...DEFAULT_ACTIVITY_SETTINGS,
      adoptEndpoints: config.adoptEndpoints,
      ...(config.servingImage ? { servingImage: config.servingImage } : {}),
      ...(config.arm.endpoint ? { armEndpoint: config.arm.endpoint } : {}),
      ...(config.scoringHostSuffixes.length > 0 ? { scoringHostSuffixes: config.scoringHostSuffixes } : {}),
    },
  };
}

export function productionPublisher(config: AppConfig): NotificationPublisher {
  let publisher: NotificationPublisher | undefined;
  return {
    publish(notification, messageId) {
      if (!config.serviceBus) throw new Error("no Service Bus connection: set ServiceBusConnection__fullyQualifiedNamespace (or ServiceBusConnection)");
      publisher ??= createNotificationPublisher(createServiceBusClient(config.serviceBus), config.notificationTopicName);
      return publisher.publish(notification, messageId);
    },
  };
}

function memoize<T>(make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) cache.set(key, (value = make(key)));
    return value;
  };
}
