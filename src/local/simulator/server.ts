import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../../domain/clock";
import { ArmError, armErrorBody } from "./armErrors";
import { storagePipeline } from "./blobStorage";
import { armFaultResponse, takeRequestFault } from "./faults";
import { armCommonHeaders, json, writeResponse, type SimResponse } from "./httpResponse";
import { normalizePath } from "./ids";
import { settleOperations } from "./operationEffects";
import type { RequestContext } from "./requestContext";
import type { RequestLogEntry } from "./requestLog";
import { resolveRoute, type Route } from "./router";
import type { SimState } from "./stateStore";

/**
 * The request pipeline: settle finished operations at the simulated "now", then for ARM routes
 * authenticate (any bearer token; none → 401) → route (unknown → 404) → api-version (wrong → 400) →
 * injected fault → handler; scoring routes go to their handler, which does its own auth and faults;
 * blob routes (path-style storage accounts) go to Storage's own pipeline (blobStorage.ts).
 * Every ARM and scoring request is logged (path only) and the state is persisted afterwards.
 */

export interface PipelineDeps {
  state: SimState;
  clock: Clock;
  baseUrl(): string;
  retryAfter(simulatedSeconds: number): string;
  /** Called after every logged request (the state file is written here). */
  afterRequest(entry: RequestLogEntry): void;
  /** `/_simulator/*` inspection routes (not logged, no auth). */
  internal(action: string, method: string, query: URLSearchParams, body: unknown): SimResponse;
}

/** Request bodies above this are refused (ARM requests are a few KB). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const INVALID_JSON = Symbol("invalid-json");

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new ArmError(413, "RequestEntityTooLarge", "The request body is too large.");
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_JSON;
  }
}

function hasBearer(req: IncomingMessage): boolean {
  const h = req.headers["authorization"];
  return typeof h === "string" && /^Bearer\s+\S+/i.test(h.trim());
}

function armPipeline(route: Route | undefined, ctx: RequestContext, req: IncomingMessage): SimResponse {
  // ARM authenticates before anything else.
  if (!hasBearer(req)) {
    throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
  }
  if (!route) {
    throw new ArmError(404, "NotFound", `The requested path '${ctx.path}' is not an Azure Resource Manager operation served by the flowdeploy simulator.`);
  }
  if (!route.handler) {
    throw new ArmError(405, "MethodNotAllowed", `The HTTP method '${ctx.method}' is not supported for '${ctx.path}'.`);
  }
  const apiVersion = ctx.query.get("api-version");
  if (!apiVersion) {
    throw new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  }
  const supported = route.apiVersions ?? [];
  if (!supported.includes(apiVersion)) {
    throw new ArmError(
      400,
      "NoRegisteredProviderFound",
      `No registered resource provider found for location '${ctx.state.location}' and API version '${apiVersion}' for operation '${route.operation}'. The supported api-versions are '${supported.join(", ")}'.`,
    );
  }
  const fault = takeRequestFault(
    ctx.state,
    {
      operation: route.operation,
      ...(ctx.params["endpointName"] !== undefined ? { endpoint: ctx.params["endpointName"] } : {}),
      ...(ctx.params["deploymentName"] !== undefined ? { deployment: ctx.params["deploymentName"] } : {}),
    },
    ctx.now,
  );
  if (fault) {
    ctx.appliedFault = fault.reset ? "reset" : "status";
    return fault.reset ? { status: 0, reset: true } : armFaultResponse(fault);
  }
  if (ctx.body === INVALID_JSON) {
    throw new ArmError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
  }
  return route.handler(ctx);
}

export function createRequestListener(deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      // Only a bug gets here; answer something rather than hang the client.
      if (!res.headersSent) writeResponse(res, json(500, armErrorBody("InternalServerError", `simulator error: ${(err as Error).message}`)));
      else res.destroy();
    });
  };
}

async function handle(deps: PipelineDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const startedMs = Date.now();
  const method = (req.method ?? "GET").toUpperCase();
  // Collapse slashes before parsing: the SDK sends `//subscriptions/...` for a scope given with a
  // leading slash, which URL() would read as a protocol-relative host.
  const rawUrl = req.url ?? "/";
  const queryAt = rawUrl.indexOf("?");
  const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
  const url = new URL(`${normalizePath(rawPath)}${queryAt === -1 ? "" : rawUrl.slice(queryAt)}`, "https://simulator.invalid");
  const path = normalizePath(url.pathname);
  const route = resolveRoute(method, path);

  let body: unknown;
  try {
    body = await readBody(req);
  } catch (err) {
    const e = err instanceof ArmError ? err : new ArmError(400, "InvalidRequestContent", "The request body could not be read.");
    writeResponse(res, { status: e.status, body: e.body() });
    return;
  }

  if (route?.kind === "internal") {
    writeResponse(res, deps.internal(route.params["action"] ?? "", method, url.searchParams, body === INVALID_JSON ? undefined : body));
    return;
  }

  const now = deps.clock.now();
  settleOperations(deps.state, now);
  const ctx: RequestContext = {
    state: deps.state,
    now,
    baseUrl: deps.baseUrl(),
    method,
    path,
    query: url.searchParams,
    headers: req.headers,
    body,
    params: route?.params ?? {},
    retryAfter: deps.retryAfter,
  };

  const isScoring = route?.kind === "scoring";
  const isStorage = route?.kind === "storage";
  let response: SimResponse;
  try {
    if (isStorage) {
      // Azure Storage's data plane: its own authentication, errors and headers (blobStorage.ts).
      response = storagePipeline(ctx, route.operation === "unknown" ? undefined : route.operation);
    } else if (isScoring && route.handler) {
      // A flow given a non-JSON body fails like a flow missing its inputs (424), not like ARM (400).
      if (ctx.body === INVALID_JSON) ctx.body = undefined;
      response = route.handler(ctx);
    } else {
      response = armPipeline(route, ctx, req);
    }
  } catch (err) {
    if (!(err instanceof ArmError)) throw err;
    response = { status: err.status, headers: err.headers, body: err.body() };
  }
  const entry: RequestLogEntry = {
    seq: deps.state.nextRequestSeq++,
    time: now.toISOString(),
    wallTime: new Date(startedMs).toISOString(),
    method,
    path,
    operation: route?.operation ?? "unknown",
    status: response.reset ? 0 : response.status,
    durationMs: Date.now() - startedMs,
  };
  const apiVersion = ctx.query.get("api-version");
  if (apiVersion) entry.apiVersion = apiVersion;
  deps.state.requestLog.push(entry);

  if (response.reset) {
    entry.fault = "reset";
    deps.afterRequest(entry);
    req.socket.destroy();
    return;
  }
  if (ctx.appliedFault) entry.fault = ctx.appliedFault;
  deps.afterRequest(entry);
  writeResponse(res, response, isScoring || isStorage ? {} : armCommonHeaders(method));
}
