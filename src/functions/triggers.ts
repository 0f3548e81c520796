import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import type * as df from "durable-functions";
import { deployFlow } from "../../orchestrations/deployFlow";
import { releaseEndpointLock } from "../../orchestrations/releaseEndpointLock";
import { Activities, type ActivityName } from "../activities/catalog";
import { DEPLOY_FLOW, RELEASE_ENDPOINT_LOCK } from "../contracts/orchestration";
import { ENDPOINT_LOCK_ENTITY } from "../domain/ids";
import { activityHandler } from "./activities";
import { bulkTestEvent } from "./bulkTestEvents";
import { approveDeploymentHttp, cancelDeploymentHttp, getDeploymentHttp, listDeploymentsHttp, rejectDeploymentHttp, releaseLockHttp, startDeploymentHttp } from "./deploymentsHttp";
import { deployRequestFromQueue } from "./deployRequestsQueue";
import { INVENTORY_ROUTE, inventoryHttp } from "./inventoryHttp";
import { STATUS_PAGE_ROUTE, statusPageHttp } from "./statusPage";

/**
 * The wiring table: every function the app has, declared once. src/functions/register.ts registers
 * each entry with the Functions host (`df.app.*`); the local hosts (`flowdeploy serve` and `local`,
 * src/local/appFunctions/localTriggers.ts) serve the same entries: HTTP requests by method and route,
 * queue messages and Event Grid events to the entries of that kind, durable functions through the
 * local runner. Both dispatch on `kind` with an exhaustive switch, so a new kind of trigger does not
 * compile until both hosts handle it. This module only declares: importing it registers nothing.
 */

/** A durable client function: a trigger that may start and query orchestrations. */
type ClientHandler<T, R> = (input: T, client: df.DurableClient, context: InvocationContext) => Promise<R>;

/** An HTTP route (`df.app.client.http`), under the host's route prefix `api` (host.json sets no other). */
export interface HttpTrigger {
  kind: "http";
  name: string;
  methods: readonly HttpMethod[];
  /** A route template: literal segments and `{parameter}` segments (the handler reads `request.params`). */
  route: string;
  authLevel: "anonymous" | "function" | "admin";
  handler: ClientHandler<HttpRequest, HttpResponseInit>;
}

/** A Service Bus queue (`df.app.client.serviceBusQueue`). */
export interface ServiceBusQueueTrigger {
  kind: "serviceBusQueue";
  name: string;
  /** The app setting (or `<name>__fullyQualifiedNamespace` settings) naming the namespace. */
  connection: string;
  /** The queue; `%SETTING%` is read from the app settings, as the host does. */
  queueName: string;
  handler: ClientHandler<unknown, void>;
}

/** An Event Grid subscription's webhook target (`df.app.client.eventGrid`): one call per event. */
export interface EventGridTrigger {
  kind: "eventGrid";
  name: string;
  handler: ClientHandler<unknown, void>;
}

export interface OrchestrationTrigger {
  kind: "orchestration";
  name: string;
  handler: df.OrchestrationHandler;
}

export interface ActivityTrigger {
  kind: "activity";
  name: string;
  handler: df.ActivityHandler;
}

export interface EntityTrigger {
  kind: "entity";
  name: string;
  handler: df.EntityHandler<unknown>;
}

export type Trigger = HttpTrigger | ServiceBusQueueTrigger | EventGridTrigger | OrchestrationTrigger | ActivityTrigger | EntityTrigger;
export type TriggerKind = Trigger["kind"];

/** For the `default` of a switch over `kind`: compiles only when every kind has a case. */
export function unhandledTrigger(trigger: never): never {
  throw new Error(`no case for trigger kind ${(trigger as Trigger).kind}`);
}

/** One activity function per catalog entry; each only forwards to the implementation built from injected clients. */
const activityTriggers: ActivityTrigger[] = (Object.keys(Activities) as ActivityName[]).map((name) => ({ kind: "activity", name: Activities[name], handler: activityHandler(name) }));

/**
 * Function names are unique across every trigger kind, compared ignoring case (the worker refuses a
 * second registration of a name): the HTTP functions carry an `Http` suffix, so none can collide with
 * an activity (the activity `startDeployment` once did).
 */
export const TRIGGERS = [
  { kind: "http", name: "startDeploymentHttp", methods: ["POST"], route: "deployments", authLevel: "function", handler: startDeploymentHttp },
  // GET on the collection route, where POST starts a deployment: the host matches a route with its
  // methods (azure-functions-host #763), and two functions may share a route under distinct names
  // (azure-functions-nodejs-library #243).
  { kind: "http", name: "listDeploymentsHttp", methods: ["GET"], route: "deployments", authLevel: "function", handler: listDeploymentsHttp },
  { kind: "http", name: "getDeploymentHttp", methods: ["GET"], route: "deployments/{instanceId}", authLevel: "function", handler: getDeploymentHttp },
  { kind: "http", name: "cancelDeploymentHttp", methods: ["POST"], route: "deployments/{instanceId}/cancel", authLevel: "function", handler: cancelDeploymentHttp },
  // An approver's answer to a run waiting at its approval stage: the APPROVAL_EVENT, with who answered from the host's authentication.
  { kind: "http", name: "approveDeploymentHttp", methods: ["POST"], route: "deployments/{instanceId}/approve", authLevel: "function", handler: approveDeploymentHttp },
  { kind: "http", name: "rejectDeploymentHttp", methods: ["POST"], route: "deployments/{instanceId}/reject", authLevel: "function", handler: rejectDeploymentHttp },
  { kind: "http", name: "releaseLockHttp", methods: ["POST"], route: "deployments/{instanceId}/release-lock", authLevel: "function", handler: releaseLockHttp },
  // The status page (docs/status-page.md): a document whose script reads the routes above with the same function key.
  { kind: "http", name: "statusPageHttp", methods: ["GET"], route: STATUS_PAGE_ROUTE, authLevel: "function", handler: statusPageHttp },
  // The migration backlog (docs/inventory.md): deployments of the allowed workspaces still on the prompt flow runtime, read from Azure.
  { kind: "http", name: "inventoryHttp", methods: ["GET"], route: INVENTORY_ROUTE, authLevel: "function", handler: inventoryHttp },
  { kind: "serviceBusQueue", name: "deployRequestsQueue", connection: "ServiceBusConnection", queueName: "%DEPLOY_QUEUE_NAME%", handler: deployRequestFromQueue },
  { kind: "eventGrid", name: "bulkTestEvents", handler: bulkTestEvent },
  { kind: "orchestration", name: DEPLOY_FLOW, handler: deployFlow },
  { kind: "orchestration", name: RELEASE_ENDPOINT_LOCK, handler: releaseEndpointLock },
  // The per-endpoint lock: a durable entity with no state or operations of its own. deployFlow holds
  // it (`context.df.lock`) from the endpoint stage to the notification, so two deployments to the
  // same endpoint never change it at the same time; they run one after the other, in the order they asked.
  { kind: "entity", name: ENDPOINT_LOCK_ENTITY, handler: () => undefined },
  ...activityTriggers,
] as const satisfies readonly Trigger[];

export type AppTrigger = (typeof TRIGGERS)[number];

