import { readFileSync } from "node:fs";
import type { ActivityEnvironment, NotificationPublisher } from "../activities/deps";
import type { AppConfig } from "../config";
import { systemClock } from "../domain/clock";
import { createNotificationPublisher, createServiceBusClient } from "./serviceBus";

/**
 * What the activities get in the Function App (`createActivityDeps` builds the clients from it): public
 * ARM (or FLOWDEPLOY_ARM_ENDPOINT with its CA, for the simulator) with DefaultAzureCredential, the
 * notifications topic, the system clock and the settings the app's configuration changes.
 */
export function productionActivityEnvironment(config: AppConfig): ActivityEnvironment {
  const caCertPem = config.arm.caFile ? readFileSync(config.arm.caFile, "utf8") : undefined;
  return {
    arm: { ...(config.arm.endpoint ? { endpoint: config.arm.endpoint } : {}), ...(caCertPem ? { caCertPem } : {}) },
    bus: productionPublisher(config),
    clock: systemClock,
    settings: {
      adoptEndpoints: config.adoptEndpoints,
      ...(config.servingImage ? { servingImage: config.servingImage } : {}),
      ...(config.scoringHostSuffixes.length > 0 ? { scoringHostSuffixes: config.scoringHostSuffixes } : {}),
    },
  };
}

/** The notifications topic, connected on the first publish (a missing setting fails that publish, not the app's start). */
function productionPublisher(config: AppConfig): NotificationPublisher {
  let publisher: NotificationPublisher | undefined;
  return {
    publish(notification, messageId) {
      if (!config.serviceBus) throw new Error("no Service Bus connection: set ServiceBusConnection__fullyQualifiedNamespace (or ServiceBusConnection)");
      publisher ??= createNotificationPublisher(createServiceBusClient(config.serviceBus), config.notificationTopicName);
      return publisher.publish(notification, messageId);
    },
  };
}
