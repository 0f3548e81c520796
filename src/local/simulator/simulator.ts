import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { isIPv6 } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../domain/clock";
import { loopbackListenHost } from "../../domain/loopback";
import { ScaledClock } from "../clock";
import { armErrorBody } from "./armErrors";
import { addFault } from "./faults";
import { json, type SimResponse } from "./httpResponse";
import type { WorkspaceRef } from "./ids";
import { cloneJson } from "./json";
import { settleOperations } from "./operationEffects";
import { countByOperation, type RequestLogEntry } from "./requestLog";
import { parseFault, parseScenario, type FaultInput, type Scenario, type ScenarioInput } from "./scenario";
import { scoringUri } from "./scoringUris";
import { createInitialState } from "./seed";
import { createRequestListener } from "./server";
import { loadStateFile, removeStaleTempFiles, saveStateFile, type SimState } from "./stateStore";
import { buildStateView, type SimulatorStateView } from "./stateView";
import { createSelfSignedCertificate } from "./tlsCertificate";

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /**
   * The clock the simulator reads (never sets timers from it). Pass the local runner's VirtualClock to
   * share time with it; default: real time scaled by `timeScale`.
   */
  clock?: Clock;
  /** Simulated seconds per real second when no clock is given (default 1). */
  timeScale?: number;
  /** Starting state; ignored when `stateFile` exists (the file wins). */
  scenario?: Scenario | ScenarioInput;
  /** Load state from here at start if it exists; write it (atomically) after every request. */
  stateFile?: string;
  /** Called after each ARM/scoring request (the CLI prints it). */
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface Simulator {
  /** `https://127.0.0.1:PORT`: pass as `endpoint` to the SDK clients. */
  readonly url: string;
  readonly port: number;
  /** The self-signed certificate (its own CA) to trust in-process. */
  readonly caCertPem: string;
  /** The same PEM written to a temp file (for NODE_EXTRA_CA_CERTS); removed on close. */
  readonly caCertFile: string;
  readonly clock: Clock;
  /** Where scenario seeds live (scenario `workspace`, or the default one). */
  readonly workspace: WorkspaceRef;
  /** Every ARM and scoring request served so far (optionally one operation's). */
  requests(filter?: { operation?: string }): RequestLogEntry[];
  /** Requests per operation name. */
  requestCounts(): Record<string, number>;
  state(): SimulatorStateView;
  /** Every endpoint key and token ever issued (for leak scans). */
  secrets(): string[];
  /** Adds a fault at run time (same format as scenario faults); throws on an invalid fault. */
  injectFault(fault: FaultInput): void;
  scoringUri(endpointName: string): string;
  close(): Promise<void>;
}

function resolveScenario(input: Scenario | ScenarioInput | undefined): Scenario | undefined {
  if (input === undefined) return undefined;
  const parsed = parseScenario(input);
  if (!parsed.ok) throw new Error(`invalid simulator scenario:\n${parsed.errors.join("\n")}`);
  return parsed.value;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Starts the HTTPS Azure ML + RBAC simulator; resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = loopbackListenHost(options.host ?? "127.0.0.1");
  // GET /_simulator/state shows endpoint keys: never to another machine.
  if (host === undefined) throw new Error(`the simulator listens on loopback addresses only (127.0.0.1, ::1, localhost), not '${options.host}'`);
  const scenario = resolveScenario(options.scenario);
  // A run killed while writing the state left its temp copy (keys included): gone before we go on.
  if (options.stateFile) removeStaleTempFiles(options.stateFile);
  const loaded = options.stateFile ? loadStateFile(options.stateFile) : undefined;
  const clock =
    options.clock ??
    // A restarted scaled clock resumes from the latest simulated time the state file saw.
    new ScaledClock(options.timeScale ?? 1, new Date(Math.max(Date.now(), loaded ? new Date(loaded.lastNow).getTime() : 0)));
  const state: SimState = loaded ?? createInitialState(scenario, clock.now());
  const persist = () => {
    if (options.stateFile) saveStateFile(options.stateFile, state);
  };

  const certificate = await createSelfSignedCertificate(host);
  const tempDir = mkdtempSync(join(tmpdir(), "flowdeploy-simulator-"));
  const caCertFile = join(tempDir, "ca.pem");
  writeFileSync(caCertFile, certificate.certPem);

  let baseUrl = "";
  const retryAfter = (simulatedSeconds: number): string =>
    String(Math.max(0, Math.ceil(clock instanceof ScaledClock ? simulatedSeconds / clock.scale : simulatedSeconds)));

  const requests = (filter?: { operation?: string; since?: number }): RequestLogEntry[] =>
    state.requestLog
      .filter((e) => (filter?.operation === undefined || e.operation === filter.operation) && (filter?.since === undefined || e.seq > filter.since))
      .map((e) => ({ ...e }));

  const internal = (action: string, method: string, query: URLSearchParams, body: unknown): SimResponse => {
    if (action === "state" && method === "GET") {
      settleOperations(state, clock.now());
      return json(200, buildStateView(state, clock.now(), baseUrl));
    }
    if (action === "requests" && method === "GET") {
      const since = query.get("since");
      const op = query.get("operation");
      const value = requests({ ...(op ? { operation: op } : {}), ...(since ? { since: Number(since) } : {}) });
      return json(200, { value, counts: countByOperation(value) });
    }
    if (action === "faults" && method === "POST") {
      const parsed = parseFault(body);
      if (!parsed.ok) return json(400, { error: { code: "InvalidFault", message: parsed.errors.join("; ") } });
      addFault(state, parsed.value);
      persist();
      return json(201, { faults: state.faults.map((f) => ({ ...f.fault, remaining: f.remaining })) });
    }
    if (action === "health" && method === "GET") return json(200, { status: "ok", now: clock.now().toISOString() });
    return json(404, armErrorBody("NotFound", `Unknown simulator route '${action}'.`));
  };

  const server = createServer(
    { key: certificate.keyPem, cert: certificate.certPem },
    createRequestListener({
      state,
      clock,
      baseUrl: () => baseUrl,
      retryAfter,
      afterRequest: (entry) => {
        persist();
        options.onRequest?.(entry);
      },
      internal,
    }),
  );
  try {
    await listen(server, options.port ?? 0, host);
  } catch (err) {
    rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  baseUrl = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  persist();

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    port,
    caCertPem: certificate.certPem,
    caCertFile,
    clock,
    workspace: { ...state.defaultWorkspace },
    requests,
    requestCounts: () => countByOperation(state.requestLog),
    state: () => {
      settleOperations(state, clock.now());
      return buildStateView(state, clock.now(), baseUrl);
    },
    secrets: () => [...state.secrets],
    injectFault: (fault) => {
      const parsed = parseFault(fault);
      if (!parsed.ok) throw new Error(`invalid fault: ${parsed.errors.join("; ")}`);
      addFault(state, cloneJson(parsed.value));
      persist();
    },
    scoringUri: (name) => scoringUri(baseUrl, name),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => {
          rmSync(tempDir, { recursive: true, force: true });
          try {
            persist();
            if (options.stateFile) removeStaleTempFiles(options.stateFile);
          } catch (e) {
            reject(e as Error);
            return;
          }
          if (err) reject(err);
          else resolve();
        });
        // Keep-alive sockets from SDK agents would otherwise hold the port open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
