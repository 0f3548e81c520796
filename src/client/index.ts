/**
 * The flowdeploy client library: enqueue deploy requests on the `deploy-requests` queue and watch
 * outcome notifications on the `deployment-notifications` topic. See docs/client.md.
 */
export { createFlowdeployClient, type EnqueueResult, type FlowdeployClient, type FlowdeployClientOptions } from "./client";
export {
  connectionFromEnvironment,
  DEFAULT_QUEUE_NAME,
  DEFAULT_TOPIC_NAME,
  describeConnection,
  redactSecrets,
  type ServiceBusConnection,
} from "./connection";
export { describeServiceBusError, RequestValidationError } from "./errors";
export { DEPLOY_REQUEST_SUBJECT, deployRequestMessage } from "./messages";
export { matchesFilter, notificationFromMessage, type NotificationFilter } from "./notifications";
export { INTERIM_OUTCOMES, isFinalOutcome } from "../domain/outcomes";
export {
  INVALID_NOTIFICATION_REASON,
  type DeadLetteredNotification,
  type NotificationHandler,
  type WatchCounts,
  type WatchHandle,
  type WatchOptions,
} from "./watch";
export type { DeployRequest, DeployRequestInput, DeploymentNotification, FieldIssue, Outcome } from "../contracts";
