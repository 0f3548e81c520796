import { ServiceBusClient, type ServiceBusSender } from "@azure/service-bus";
import { activeTraceparent } from "../tracing/spans";
import { DIAGNOSTIC_ID_PROPERTY, formatTraceparent } from "../tracing/traceparent";
import { DefaultAzureCredential } from "@azure/identity";
import type { NotificationPublisher } from "../activities/deps";
import type { AppConfig } from "../config";
import type { DeploymentNotification } from "../contracts/notification";
import { isFinalOutcome } from "../domain/outcomes";

/**
 * A Service Bus client from the app's settings: a connection string (SAS, or the local broker with
 * UseDevelopmentEmulator=true), or the namespace with DefaultAzureCredential, as the Functions host
 * reads `ServiceBusConnection__fullyQualifiedNamespace`.
 */
export function createServiceBusClient(connection: NonNullable<AppConfig["serviceBus"]>): ServiceBusClient {
  return connection.kind === "connectionString"
    ? new ServiceBusClient(connection.connectionString)
    : new ServiceBusClient(connection.fullyQualifiedNamespace, new DefaultAzureCredential(connection.clientId ? { managedIdentityClientId: connection.clientId } : {}));
}

/**
 * Publishes notifications on the topic with what subscribers filter on: `subject` = outcome,
 * `correlationId` = request id, application properties outcome / kind / workspace / endpoint, and a
 * deterministic `messageId` so the topic's duplicate detection drops a retried send.
 */
export function createNotificationPublisher(client: ServiceBusClient, topicName: string): NotificationPublisher & { close(): Promise<void> } {
  let sender: ServiceBusSender | undefined;
  return {
    async publish(notification: DeploymentNotification, messageId: string) {
      sender ??= client.createSender(topicName);
      await sender.sendMessages(notificationMessage(notification, messageId));
    },
    async close() {
      await sender?.close();
    },
  };
}

/**
 * The `kind` application property: `outcome` for a notification that ends a run (Succeeded, Failed,
 * Rejected, Cancelled), `approval` for one that asks a person and is followed by the outcome
 * (AwaitingApproval). A correlation filter `kind = 'outcome'` receives only ends of runs, whatever
 * outcomes are added later; `kind = 'approval'` only the requests for approval.
 */
export function notificationKind(notification: Pick<DeploymentNotification, "outcome">): "outcome" | "approval" {
  return isFinalOutcome(notification.outcome) ? "outcome" : "approval";
}

export function notificationMessage(notification: DeploymentNotification, messageId: string) {
  // The trace the notification ends: the publishing activity's span (or the intake's, for a
  // rejection), a child of the request's trace, so `watch` can tell which trace to look up.
  const trace = activeTraceparent();
  return {
    body: notification,
    contentType: "application/json",
    messageId,
    ...(notification.requestId ? { correlationId: notification.requestId } : {}),
    subject: notification.outcome,
    applicationProperties: {
      outcome: notification.outcome,
      kind: notificationKind(notification),
      workspace: notification.workspace?.name ?? "",
      endpoint: notification.endpoint?.name ?? "",
      ...(trace ? { [DIAGNOSTIC_ID_PROPERTY]: formatTraceparent(trace) } : {}),
    },
  };
}
