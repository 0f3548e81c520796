import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpRequest, InvocationContext, type HttpResponse, type HttpResponseInit } from "@azure/functions";
import { MAX_MESSAGE_BYTES } from "../contracts/parse";
import { LOOPBACK_HOSTS } from "../domain/loopback";
import { STATUS_PAGE_ROUTE } from "../functions/statusPage";
import type { EventGridTrigger } from "../functions/triggers";
import { matchHttpRoute } from "./appFunctions/localTriggers";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "./localStack";
import { deploymentLogger } from "./serveLog";

/**
 * `flowdeploy serve`: the whole service on one machine without Core Tools, at the paths the Functions
 * host uses — every HTTP route of the wiring table (src/functions/triggers.ts) under /api, the Event
 * Grid webhook at /runtime/webhooks/eventgrid?functionName=<its Event Grid function>, and its Service
 * Bus queue triggers — over the local stack (simulator, broker, durable runner). `/` sends a browser
 * to the status page (GET /api/status). A development tool, not a production host.
 */
export interface ServeOptions extends LocalStackOptions {
  port?: number;
  host?: string;
}

export interface RunningService {
  url: string;
  stack: LocalStack;
  close(): Promise<void>;
}

/** Event Grid's webhook header: Notification for events, SubscriptionValidation for the handshake. */
const EVENT_TYPE_HEADER = "aeg-event-type";

/** The service's port could not be had (in use, or not allowed): nothing was started. */
export class ListenError extends Error {
  override readonly name = "ListenError";
  constructor(
    readonly port: number,
    readonly host: string,
    readonly code: string | undefined,
  ) {
    super(
      code === "EADDRINUSE"
        ? `port ${port} on ${host} is already in use`
        : code === "EACCES"
          ? `port ${port} on ${host} is not allowed for this user`
          : `cannot listen on ${host}:${port} (${code ?? "unknown error"})`,
    );
  }
}

export async function serve(options: ServeOptions = {}): Promise<RunningService> {
  const log = options.log ?? (() => undefined);
  let stack: LocalStack | undefined;
  const server = createServer((req, res) => {
    if (!stack) return void send(res, { status: 503, headers: { "Retry-After": "1" }, jsonBody: { errors: ["flowdeploy serve is starting"] } });
    void route(req, res, stack, log).catch((err: unknown) => {
      log(`serve: ${req.method} ${req.url} failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, { status: 500, jsonBody: { errors: ["internal error"] } });
    });
  });
  // The port first: when it cannot be had, nothing else (simulator, broker, runner) is started.
  const host = options.host ?? "127.0.0.1";
  const wanted = options.port ?? 7071;
  await new Promise<void>((resolve, reject) => {
    // Closed so that its handle is released now, not when the process ends.
    server.once("error", (err: NodeJS.ErrnoException) => server.close(() => reject(new ListenError(wanted, host, err.code))));
    server.listen(wanted, host, () => resolve());
  });
  let stopTrigger: () => Promise<void>;
  let stopLogging: () => void;
  try {
    stack = await startLocalStack(options);
    stopLogging = stack.runtime.onEvent(deploymentLogger(log));
    stopTrigger = await stack.startQueueTrigger();
  } catch (err) {
    await closeServer(server);
    await stack?.close().catch(() => undefined);
    throw err;
  }
  const running = stack;
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stack: running,
    async close() {
      await closeServer(server);
      await stopTrigger();
      await running.close();
      stopLogging();
    },
  };
}

/** Content types the routes accept (JSON; CloudEvents structured and batched mode). */
const JSON_TYPES = new Set(["application/json", "application/cloudevents+json", "application/cloudevents-batch+json"]);
const VALIDATION_EVENT_TYPE = "Microsoft.EventGrid.SubscriptionValidationEvent";

/**
 * What a browser page or a rebinding name could make a local service do (docs/security.md, row S1):
 * only loopback `Host`s, no cross-site `Origin`, and JSON bodies only (a form post cannot send them
 * without a preflight).
 */
function refuseUnsafe(req: IncomingMessage): HttpResponseInit | undefined {
  const host = (req.headers.host ?? "").toLowerCase().replace(/:\d+$/, "");
  if (!LOOPBACK_HOSTS.has(host)) return { status: 421, jsonBody: { errors: [`Host: flowdeploy serve answers only to 127.0.0.1, localhost or [::1], not '${host.slice(0, 100)}'`] } };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).hostname.toLowerCase();
    } catch {
      originHost = "";
    }
    if (!LOOPBACK_HOSTS.has(originHost) && !LOOPBACK_HOSTS.has(`[${originHost}]`)) return { status: 403, jsonBody: { errors: ["Origin: cross-site requests are refused"] } };
  }
  if (req.method === "POST") {
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    const length = Number(req.headers["content-length"] ?? "0");
    const hasBody = length > 0 || req.headers["transfer-encoding"] !== undefined;
    if (hasBody && !JSON_TYPES.has(type)) return { status: 415, jsonBody: { errors: ["content-type: expected application/json (or application/cloudevents+json)"] } };
  }
  return undefined;
}

async function route(req: IncomingMessage, res: ServerResponse, stack: LocalStack, log: (line: string) => void): Promise<void> {
  const unsafe = refuseUnsafe(req);
  if (unsafe) return send(res, unsafe);
  // The URL as the caller wrote it (the Host, a checked loopback name, carries the port), as the
  // Functions host hands it to a function: the 202's Location and the status URLs are built from it.
  const url = new URL(`http://${req.headers.host}${req.url?.startsWith("/") ? req.url : "/"}`);
  if (url.pathname === "/runtime/webhooks/eventgrid" && req.method === "OPTIONS") return abuseProtectionHandshake(req, res);
  // The service's address opens the status page; relative to it (/api/status) the page finds the routes.
  if (url.pathname === "/" && (req.method === "GET" || req.method === "HEAD")) return send(res, { status: 302, headers: { location: `/api/${STATUS_PAGE_ROUTE}` } });
  const body = await readBody(req);
  if (body === undefined) return send(res, { status: 413, jsonBody: { errors: [`(root): body is larger than ${MAX_MESSAGE_BYTES} bytes`] } });
  const context = (name: string) => new InvocationContext({ functionName: name, logHandler: (_level, ...args) => log(`${name}: ${args.map(String).join(" ")}`) });

  const matched = matchHttpRoute(stack.app.triggers.http, req.method ?? "GET", url.pathname);
  if (matched) {
    const { trigger } = matched.route;
    return send(res, await trigger.handler(toHttpRequest(req, url, body, matched.params), stack.client, context(trigger.name)));
  }
  if (url.pathname === "/runtime/webhooks/eventgrid" && req.method === "POST") {
    const functionName = url.searchParams.get("functionName");
    const trigger = stack.app.triggers.eventGrid.find((t) => t.name === functionName);
    if (!trigger) return send(res, { status: 404, jsonBody: { errors: [`no Event Grid function ${functionName}`] } });
    return eventGridWebhook(req, res, body, trigger, stack, context(trigger.name));
  }
  send(res, { status: 404, jsonBody: { errors: [`no route ${req.method} ${url.pathname}`] } });
}

/**
 * What the Functions host's Event Grid extension does for the function: answer the subscription
 * validation handshake, then hand each event of the delivered array to the function. A thrown error
 * (transient) answers 500 so Event Grid retries; bad events were already answered with a Rejected
 * notification by the function and are acknowledged.
 */
async function eventGridWebhook(req: IncomingMessage, res: ServerResponse, body: string, trigger: EventGridTrigger, stack: LocalStack, context: InvocationContext): Promise<void> {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return send(res, { status: 400, jsonBody: { errors: ["(root): not valid JSON"] } });
  }
  const events = Array.isArray(payload) ? payload : [payload];
  const kind = String(req.headers[EVENT_TYPE_HEADER] ?? "");
  if (kind === "SubscriptionValidation") {
    // Only Event Grid's own validation event opens a subscription (Event Grid webhook handshake).
    const first = events[0] as { eventType?: unknown; data?: { validationCode?: unknown } } | undefined;
    if (events.length !== 1 || first?.eventType !== VALIDATION_EVENT_TYPE) return send(res, { status: 400, jsonBody: { errors: [`eventType: the handshake needs one ${VALIDATION_EVENT_TYPE}`] } });
    const code = first.data?.validationCode;
    if (typeof code !== "string") return send(res, { status: 400, jsonBody: { errors: ["data.validationCode: required"] } });
    return send(res, { status: 200, jsonBody: { validationResponse: code } });
  }
  if (kind !== "Notification") return send(res, { status: 400, jsonBody: { errors: [`${EVENT_TYPE_HEADER}: expected Notification or SubscriptionValidation`] } });
  for (const event of events) await trigger.handler(event, stack.client, context);
  send(res, { status: 202 });
}

/**
 * The CloudEvents webhook abuse-protection handshake (CloudEvents "HTTP 1.1 Web Hooks" spec, §4.1;
 * used by Event Grid for CloudEvents subscriptions): an OPTIONS request with `WebHook-Request-Origin`
 * is answered 200 with `WebHook-Allowed-Origin` naming that origin; without the header it is 400.
 */
function abuseProtectionHandshake(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers["webhook-request-origin"];
  if (typeof origin !== "string" || origin.trim() === "" || /[\r\n]/.test(origin)) {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: ["WebHook-Request-Origin: required for the abuse-protection handshake"] }));
    return;
  }
  res.writeHead(200, { "WebHook-Allowed-Origin": origin.trim(), "WebHook-Allowed-Rate": "*", Allow: "POST, OPTIONS" });
  res.end();
}

function toHttpRequest(req: IncomingMessage, url: URL, body: string, params: Record<string, string> = {}): HttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
  return new HttpRequest({ url: url.toString(), method: req.method ?? "GET", headers, params, ...(body ? { body: { string: body } } : {}) });
}

async function send(res: ServerResponse, response: HttpResponseInit | HttpResponse): Promise<void> {
  if ("arrayBuffer" in response && typeof response.arrayBuffer === "function") {
    const r = response as HttpResponse;
    const headers: Record<string, string> = {};
    r.headers.forEach((value, key) => (headers[key] = value));
    res.writeHead(r.status, headers);
    res.end(Buffer.from(await r.arrayBuffer()));
    return;
  }
  const init = response as HttpResponseInit;
  const headers: Record<string, string> = {};
  if (init.headers) new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, key) => (headers[key] = value));
  if (init.jsonBody !== undefined) {
    headers["content-type"] = "application/json";
    res.writeHead(init.status ?? 200, headers);
    res.end(JSON.stringify(init.jsonBody));
    return;
  }
  res.writeHead(init.status ?? 200, headers);
  res.end(typeof init.body === "string" ? init.body : undefined);
}

/** The body as text, or undefined when it is larger than a Service Bus message may be. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_MESSAGE_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(tooBig ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
