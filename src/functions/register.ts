import * as df from "durable-functions";
import { TRIGGERS, unhandledTrigger, type Trigger } from "./triggers";

/**
 * Registers every function of the wiring table (src/functions/triggers.ts) with the Functions host:
 * the only module under src/functions that registers anything. Names, routes, methods, auth levels,
 * connections and queues all come from the table.
 */
export function registerTrigger(trigger: Trigger): void {
  switch (trigger.kind) {
    case "http":
      df.app.client.http(trigger.name, { methods: [...trigger.methods], route: trigger.route, authLevel: trigger.authLevel, handler: trigger.handler });
      break;
    case "serviceBusQueue":
      df.app.client.serviceBusQueue(trigger.name, { connection: trigger.connection, queueName: trigger.queueName, handler: trigger.handler });
      break;
    case "eventGrid":
      df.app.client.eventGrid(trigger.name, { handler: trigger.handler });
      break;
    case "orchestration":
      df.app.orchestration(trigger.name, trigger.handler);
      break;
    case "activity":
      df.app.activity(trigger.name, { handler: trigger.handler });
      break;
    case "entity":
      df.app.entity(trigger.name, trigger.handler);
      break;
    default:
      unhandledTrigger(trigger);
  }
}

for (const trigger of TRIGGERS) registerTrigger(trigger);
