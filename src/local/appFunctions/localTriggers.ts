import { unhandledTrigger, type EventGridTrigger, type HttpTrigger, type ServiceBusQueueTrigger, type Trigger } from "../../functions/triggers";

/**
 * The wiring table (src/functions/triggers.ts) as the local hosts serve it: `flowdeploy serve` answers
 * the HTTP routes and the Event Grid webhook, the local stack's queue trigger receives from each queue,
 * and the durable runner runs the orchestrations, activities and entities the registration captured.
 * The switch below has a case per kind: a kind without a local host does not compile.
 */
export interface LocalTriggers {
  http: LocalHttpRoute[];
  serviceBusQueue: ServiceBusQueueTrigger[];
  eventGrid: EventGridTrigger[];
  /** Names of the orchestrations, activities and entities: the runner runs them from their registrations. */
  durable: string[];
}

export interface LocalHttpRoute {
  trigger: HttpTrigger;
  /** The full path pattern (route prefix included), parameters captured in order. */
  pattern: RegExp;
  params: string[];
}

export function localTriggers(table: readonly Trigger[], routePrefix: string): LocalTriggers {
  const hosts: LocalTriggers = { http: [], serviceBusQueue: [], eventGrid: [], durable: [] };
  for (const trigger of table) {
    switch (trigger.kind) {
      case "http":
        hosts.http.push(httpRoute(trigger, routePrefix));
        break;
      case "serviceBusQueue":
        hosts.serviceBusQueue.push(trigger);
        break;
      case "eventGrid":
        hosts.eventGrid.push(trigger);
        break;
      case "orchestration":
      case "activity":
      case "entity":
        hosts.durable.push(trigger.name);
        break;
      default:
        unhandledTrigger(trigger);
    }
  }
  return hosts;
}

/**
 * A route template as a path pattern: `{name}` segments match one non-empty segment; literal segments
 * match exactly. Templates with more (constraints `{id:int}`, optional `{id?}`, catch-all `{*rest}`)
 * are refused here rather than matched differently from the host.
 */
function httpRoute(trigger: HttpTrigger, routePrefix: string): LocalHttpRoute {
  const params: string[] = [];
  const segments = [routePrefix, ...trigger.route.split("/")].filter((s) => s !== "");
  const source = segments.map((segment) => {
    const param = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment);
    if (param) {
      params.push(param[1]!);
      return "([^/]+)";
    }
    if (/[{}]/.test(segment)) throw new Error(`${trigger.name}: the local hosts serve only literal and {parameter} route segments, not '${segment}' (route '${trigger.route}')`);
    return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  });
  return { trigger, pattern: new RegExp(`^/${source.join("/")}$`), params };
}

export type RouteMatch = { route: LocalHttpRoute; params: Record<string, string> };

/** The route answering `method` on `pathname` (percent-encoded, as in a URL), with its decoded parameters. */
export function matchHttpRoute(routes: readonly LocalHttpRoute[], method: string, pathname: string): RouteMatch | undefined {
  for (const route of routes) {
    if (!route.trigger.methods.includes(method as HttpTrigger["methods"][number])) continue;
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    return { route, params: Object.fromEntries(route.params.map((name, i) => [name, decodeURIComponent(match[i + 1]!)])) };
  }
  return undefined;
}

/**
 * An app-setting reference as the host resolves it in trigger options: every `%NAME%` is replaced by
 * that setting; a setting the local hosts do not have is an error, as a missing one stops the host.
 */
export function resolveSettings(value: string, settings: Readonly<Record<string, string>>): string {
  return value.replace(/%([^%]+)%/g, (_all, name: string) => {
    const setting = settings[name];
    if (setting === undefined) throw new Error(`'${value}' names the app setting ${name}, which the local hosts do not have`);
    return setting;
  });
}

/** The one trigger of a kind a command delivers to (`flowdeploy local --event`): an error when there is none or several. */
export function soleTrigger<T extends { name: string }>(triggers: readonly T[], what: string): T {
  if (triggers.length !== 1) throw new Error(`expected one ${what} trigger in src/functions/triggers.ts, found ${triggers.length}${triggers.length ? `: ${triggers.map((t) => t.name).join(", ")}` : ""}`);
  return triggers[0]!;
}
