import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import type { RegisterCommand } from "../command";
import { loopbackListenHost } from "../../domain/loopback";
import { formatRequestLine, loadScenarioFile, startSimulator, type Scenario } from "../../local/simulator";

/**
 * `flowdeploy simulator [--port N] [--scenario FILE] [--time-scale N] [--state-file FILE]`: runs the
 * local Azure ML + RBAC simulator until SIGINT/SIGTERM. The first stdout line is one JSON object
 * `{"url", "caCertFile"}` for scripts; request log lines go to stderr.
 */

export interface SimulatorCommandOptions {
  port?: string;
  scenario?: string;
  timeScale?: string;
  stateFile?: string;
  host?: string;
  quiet?: boolean;
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535 (0 = any free port), got '${value}'`);
  }
  return port;
}

/** Loopback only: the simulator's /_simulator/state route shows endpoint keys to whoever can reach it. */
function parseHost(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const host = loopbackListenHost(value);
  if (host === undefined) {
    throw new UsageError(`--host must be a loopback address (127.0.0.1, ::1 or localhost): the simulator shows endpoint keys to anyone who reaches it; got '${value}'`);
  }
  return host;
}

function parseTimeScale(value: string | undefined): number {
  if (value === undefined) return 1;
  const scale = Number(value);
  if (value.trim() === "" || !Number.isFinite(scale) || scale <= 0) {
    throw new UsageError(`--time-scale must be a positive number of simulated seconds per real second, got '${value}'`);
  }
  return scale;
}

/** Resolves with the signal name on the first SIGINT or SIGTERM. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/**
 * Runs the simulator until `stop` resolves and returns the exit code. Usage errors throw UsageError
 * (exit 2); an invalid scenario prints field-named errors to stderr and returns 1.
 */
export async function runSimulatorCommand(opts: SimulatorCommandOptions, io: CliIO, stop: () => Promise<unknown>): Promise<number> {
  const port = parsePort(opts.port);
  const host = parseHost(opts.host);
  const timeScale = parseTimeScale(opts.timeScale);
  let scenario: Scenario | undefined;
  if (opts.scenario !== undefined) {
    const loaded = loadScenarioFile(opts.scenario);
    if (!loaded.ok) {
      for (const line of loaded.errors) writeLine(io.stderr, `flowdeploy simulator: ${line}`);
      return ExitCode.failure;
    }
    scenario = loaded.value;
  }
  const stopped = stop();
  let sim;
  try {
    sim = await startSimulator({
      port,
      timeScale,
      ...(host ? { host } : {}),
      ...(scenario ? { scenario } : {}),
      ...(opts.stateFile ? { stateFile: opts.stateFile } : {}),
      ...(opts.quiet ? {} : { onRequest: (entry) => writeLine(io.stderr, formatRequestLine(entry)) }),
    });
  } catch (err) {
    writeLine(io.stderr, `flowdeploy simulator: cannot start: ${(err as Error).message}`);
    return ExitCode.failure;
  }
  writeLine(io.stdout, JSON.stringify({ url: sim.url, caCertFile: sim.caCertFile }));
  writeLine(
    io.stderr,
    `flowdeploy simulator listening on ${sim.url} (time scale ${timeScale}); trust it with NODE_EXTRA_CA_CERTS=${sim.caCertFile}; stop with Ctrl+C`,
  );
  await stopped;
  await sim.close();
  writeLine(io.stderr, "flowdeploy simulator stopped");
  return ExitCode.ok;
}

export const registerSimulatorCommand: RegisterCommand = (program, io, setExitCode) => {
  program
    .command("simulator")
    .description("run the local HTTPS stand-in for Azure ML online endpoints, RBAC and scoring until SIGINT/SIGTERM")
    .option("--port <N>", "port to listen on (0 = any free port)", "0")
    .option("--scenario <FILE>", "scenario JSON: existing endpoints, models, durations, faults (docs/simulator.md)")
    .option("--time-scale <N>", "simulated seconds per real second", "1")
    .option("--state-file <FILE>", "load state from FILE if present and save it after every request")
    .option("--host <ADDRESS>", "loopback address to listen on: 127.0.0.1, ::1 or localhost", "127.0.0.1")
    .option("--quiet", "do not print the request log")
    .action(async (opts: SimulatorCommandOptions) => {
      setExitCode(await runSimulatorCommand(opts, io, waitForShutdownSignal));
    });
};
