import type { NotifyResult } from "../contracts/activities";
import { DeploymentNotification } from "../contracts/notification";
import { notificationMessageId } from "../domain/ids";
import type { ActivityDeps } from "./deps";

/**
 * Publishes the outcome. The messageId is derived from (instance, outcome), so a retried send is
 * dropped by the topic's duplicate detection and subscribers see each outcome once.
 */
export async function notify(deps: ActivityDeps, input: DeploymentNotification): Promise<NotifyResult> {
  const notification = DeploymentNotification.parse(input);
  // A rejected input has no instance: its content identifies it instead.
  const key = notification.instanceId ?? notification.requestId ?? JSON.stringify(notification);
  const messageId = notificationMessageId(key, notification.outcome);
  await deps.bus.publish(notification, messageId);
  return { messageId };
}
