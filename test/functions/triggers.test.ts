import { ServiceBusClient } from "@azure/service-bus";
import type { HttpRequest } from "@azure/functions";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TRIGGERS, type HttpTrigger, type Trigger } from "../../src/functions/triggers";
import { loadApp } from "../../src/local/appFunctions";
import { localTriggers, matchHttpRoute, resolveSettings } from "../../src/local/appFunctions/localTriggers";
import { LOCAL_APP_SETTINGS } from "../../src/local/localStack";
import { serve, type RunningService } from "../../src/local/serve";

/**
 * The wiring table (src/functions/triggers.ts) drives both hosts: what the Functions worker receives
 * is checked entry by entry in test/host/mainGlob.test.ts (the build, through a stand-in worker);
 * here the local hosts: the app the runner loads registers exactly the table, and `flowdeploy serve`
 * hands every HTTP route, Event Grid function and queue of the table to that entry's handler.
 */
const table = TRIGGERS as readonly Trigger[];
const ofKind = <K extends Trigger["kind"]>(kind: K) => table.filter((t): t is Extract<Trigger, { kind: K }> => t.kind === kind);

describe("the wiring table", () => {
  it("names every function once, ignoring case, and no two HTTP entries answer the same method on the same route", () => {
    const names = table.map((t) => t.name.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    const routes = ofKind("http").flatMap((t) => t.methods.map((m) => `${m} ${t.route.toLowerCase().replace(/\{[^}]*\}/g, "{}")}`));
    expect(new Set(routes).size).toBe(routes.length);
  });

  it("is what the app loaded for the local runner registers: no entry missing, nothing registered outside it", async () => {
    const app = await loadApp();
    expect(app.functions.all().map((f) => f.name).sort()).toEqual(table.map((t) => t.name).sort());
    expect(app.triggers.durable.sort()).toEqual(table.filter((t) => t.kind === "orchestration" || t.kind === "activity" || t.kind === "entity").map((t) => t.name).sort());
  });
});

describe("local route matching", () => {
  const hosts = localTriggers(table, "api");

  it("matches by method and route template, with the parameters decoded", () => {
    const match = matchHttpRoute(hosts.http, "POST", "/api/deployments/deploy-a%2Fb/cancel");
    expect(match?.route.trigger.name).toBe("cancelDeploymentHttp");
    expect(match?.params).toEqual({ instanceId: "deploy-a/b" });
    expect(matchHttpRoute(hosts.http, "GET", "/api/deployments")?.route.trigger.name).toBe("listDeploymentsHttp");
    expect(matchHttpRoute(hosts.http, "POST", "/api/deployments")?.route.trigger.name).toBe("startDeploymentHttp");
    expect(matchHttpRoute(hosts.http, "DELETE", "/api/deployments/x")).toBeUndefined();
    expect(matchHttpRoute(hosts.http, "GET", "/api/deployments/x/y")).toBeUndefined();
    expect(matchHttpRoute(hosts.http, "GET", "/deployments")).toBeUndefined();
  });

  it("refuses route syntax it would match differently from the host, and settings it does not have", () => {
    const constrained: HttpTrigger = { kind: "http", name: "x", methods: ["GET"], route: "items/{id:int}", authLevel: "function", handler: async () => ({}) };
    expect(() => localTriggers([constrained], "api")).toThrow(/only literal and \{parameter\} route segments/);
    expect(resolveSettings("%DEPLOY_QUEUE_NAME%", { DEPLOY_QUEUE_NAME: "deploy-requests" })).toBe("deploy-requests");
    expect(() => resolveSettings("%NOPE%", {})).toThrow(/NOPE/);
  });
});

describe("flowdeploy serve serves the table", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await serve({ port: 0 });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await service?.close();
  });

  /** A path for a route template, every `{parameter}` filled with `value` (percent-encoded). */
  const pathOf = (route: string, value: string) => `/api/${route.replace(/\{[^}]+\}/g, encodeURIComponent(value))}`;

  it.each(ofKind("http").flatMap((t) => t.methods.map((method) => [t.name, method, t] as const)))("%s: %s on its route reaches its handler", async (_name, method, trigger) => {
    const seen: { params: Record<string, string>; method: string }[] = [];
    const spy = vi.spyOn(trigger, "handler").mockImplementation(async (request: HttpRequest) => {
      seen.push({ params: { ...request.params }, method: request.method });
      return { status: 299, jsonBody: { handledBy: trigger.name } };
    });
    try {
      const res = await fetch(`${service.url}${pathOf(trigger.route, "deploy-0123 x")}`, { method, headers: { "content-type": "application/json" }, ...(method === "GET" ? {} : { body: "{}" }) });
      expect(res.status).toBe(299);
      expect(await res.json()).toEqual({ handledBy: trigger.name });
      const params = Object.fromEntries([...trigger.route.matchAll(/\{([^}]+)\}/g)].map((m) => [m[1]!, "deploy-0123 x"]));
      expect(seen).toEqual([{ params, method }]);
    } finally {
      spy.mockRestore();
    }
  });

  it("answers 404 for a method no entry declares on a route", async () => {
    const res = await fetch(`${service.url}/api/deployments/deploy-1`, { method: "DELETE" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ errors: ["no route DELETE /api/deployments/deploy-1"] });
  });

  it.each(ofKind("eventGrid").map((t) => [t.name, t] as const))("Event Grid function %s receives each event of a webhook delivery", async (_name, trigger) => {
    const events: unknown[] = [];
    const spy = vi.spyOn(trigger, "handler").mockImplementation(async (event: unknown) => void events.push(event));
    try {
      const res = await fetch(`${service.url}/runtime/webhooks/eventgrid?functionName=${trigger.name}`, {
        method: "POST",
        headers: { "aeg-event-type": "Notification", "content-type": "application/json" },
        body: JSON.stringify([{ id: "1" }, { id: "2" }]),
      });
      expect(res.status).toBe(202);
      expect(events).toEqual([{ id: "1" }, { id: "2" }]);
    } finally {
      spy.mockRestore();
    }
  });

  it.each(ofKind("serviceBusQueue").map((t) => [t.name, t] as const))("queue trigger %s receives the messages of its queue", async (_name, trigger) => {
    let resolve!: (body: unknown) => void;
    const received = new Promise<unknown>((r) => (resolve = r));
    const spy = vi.spyOn(trigger, "handler").mockImplementation(async (message: unknown) => resolve(message));
    const sb = new ServiceBusClient(service.stack.serviceBusConnectionString);
    try {
      await sb.createSender(resolveSettings(trigger.queueName, LOCAL_APP_SETTINGS)).sendMessages({ body: { probe: trigger.name } });
      expect(await received).toEqual({ probe: trigger.name });
    } finally {
      spy.mockRestore();
      await sb.close();
    }
  });
});
