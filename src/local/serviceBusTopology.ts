/**
 * The Service Bus entities the local setup declares on the local broker: what an Azure namespace for
 * flowdeploy holds (docs/client.md shows how to create them there). Never part of the Function App.
 */
import { DEFAULT_QUEUE_NAME, DEFAULT_TOPIC_NAME } from "../client/connection";
import type { Outcome } from "../contracts/notification";
import { startBroker, type BrokerOptions, type LocalServiceBusBroker, type SubscriptionOptions } from "./broker";

/** Subscriptions of the notifications topic, by purpose. */
export const LOCAL_SUBSCRIPTIONS = {
  /** Every notification (no filter: Service Bus's `$Default` TrueFilter rule). */
  all: "all",
  /** Every notification, for `flowdeploy watch` (its default subscription). */
  cli: "flowdeploy-cli",
  succeeded: "succeeded",
  failed: "failed",
  rejected: "rejected",
  cancelled: "cancelled",
} as const;

/** A subscription that receives only one outcome: a correlation filter on the `outcome` application property the publisher sets. */
const outcomeSubscription = (name: string, outcome: Outcome): SubscriptionOptions => ({
  name,
  filter: { correlation: { applicationProperties: { outcome } } },
});

/**
 * Lock duration and duplicate detection window are left to the Service Bus defaults (60 s locks, a
 * 10-minute window), which the broker applies too.
 */
export const LOCAL_SERVICE_BUS_TOPOLOGY: Required<Pick<BrokerOptions, "queues" | "topics">> = {
  queues: [
    {
      name: DEFAULT_QUEUE_NAME,
      // Service Bus's default: the 10th failed delivery dead-letters the request (MaxDeliveryCountExceeded).
      maxDeliveryCount: 10,
      // The message id is a digest of the request: the same request sent twice within the window is queued once.
      requiresDuplicateDetection: true,
    },
  ],
  topics: [
    {
      name: DEFAULT_TOPIC_NAME,
      // The notify activity's message id is deterministic: a retried publish is dropped.
      requiresDuplicateDetection: true,
      subscriptions: [
        { name: LOCAL_SUBSCRIPTIONS.all },
        { name: LOCAL_SUBSCRIPTIONS.cli },
        outcomeSubscription(LOCAL_SUBSCRIPTIONS.succeeded, "Succeeded"),
        outcomeSubscription(LOCAL_SUBSCRIPTIONS.failed, "Failed"),
        outcomeSubscription(LOCAL_SUBSCRIPTIONS.rejected, "Rejected"),
        outcomeSubscription(LOCAL_SUBSCRIPTIONS.cancelled, "Cancelled"),
      ],
    },
  ],
};

/**
 * Starts the local broker with flowdeploy's queue, topic and subscriptions. `overrides` are broker
 * options laid over them (port, trace, defaults; `queues` or `topics` given here replace the
 * topology's own).
 */
export function startLocalServiceBus(overrides: BrokerOptions = {}): Promise<LocalServiceBusBroker> {
  return startBroker({ ...LOCAL_SERVICE_BUS_TOPOLOGY, ...overrides });
}
