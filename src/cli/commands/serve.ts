import { resolve } from "node:path";
import { ExitCode, writeLine } from "../io";
import { UsageError } from "../io";
import { checkStateDir } from "../stateDir";
import { settingsFromEnvironment } from "./local";
import { waitForShutdownSignal } from "./simulator";
import type { RegisterCommand } from "../command";

interface ServeFlags {
  port: string;
  scenario?: string;
  timeScale?: string;
  stateDir?: string;
  trace?: string;
}

export const registerServeCommand: RegisterCommand = (program, io, setExitCode) => {
  program
    .command("serve")
    .description("run the whole service locally (HTTP routes, Event Grid webhook, queue trigger) over the simulator and the local broker")
    .option("--port <N>", "HTTP port of the service", "7071")
    .option("--scenario <FILE>", "a simulator scenario (latencies, existing endpoints, faults)")
    .option("--time-scale <N>", "simulated seconds per real second (default 60: a deployment takes ~20 s)")
    .option("--state-dir <DIR>", "keep runner history and simulator state here")
    .option("--trace <FILE>", "append every span (intake, activities, Azure SDK calls) to FILE as JSON lines (docs/tracing.md)")
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${flags.port}`);
      // Real time, sped up: a service waits for requests, so a virtual clock could jump ahead idly.
      const timeScale = flags.timeScale === undefined ? 60 : Number(flags.timeScale);
      if (!(timeScale > 0 && Number.isFinite(timeScale))) throw new UsageError(`--time-scale must be a positive number, got ${flags.timeScale}`);
      let scenario: unknown;
      if (flags.scenario) {
        const { loadScenarioFile } = require("../../local/simulator") as typeof import("../../local/simulator");
        const parsed = loadScenarioFile(flags.scenario);
        if (!parsed.ok) throw new UsageError(`invalid scenario ${flags.scenario}:\n  ${parsed.errors.join("\n  ")}`);
        scenario = parsed.value;
      }
      // The same check as `local`'s: a file or an unwritable place is a usage error before anything
      // starts, and a --scenario that the directory's existing state overrides is said to be ignored.
      const stateNote = checkStateDir(flags.stateDir, flags.scenario !== undefined);
      if (stateNote) writeLine(io.stderr, stateNote);
      const { serve, ListenError } = require("../../local/serve") as typeof import("../../local/serve");
      let service: Awaited<ReturnType<typeof serve>>;
      try {
        if (flags.trace) startTraceFile(flags.trace);
        service = await serve({ port, timeScale, stateDir: flags.stateDir, scenario: scenario as never, ...settingsFromEnvironment(), log: (line) => writeLine(io.stderr, line) });
      } catch (err) {
        // The port is taken before anything else starts: nothing is left running, the process ends.
        if (!(err instanceof ListenError)) throw err;
        const hint = err.code === "EADDRINUSE" ? " (another flowdeploy serve or a Functions host?); choose another with --port" : "; choose another with --port";
        writeLine(io.stderr, `flowdeploy serve: ${err.message}${hint}`);
        setExitCode(ExitCode.failure);
        return;
      }
      // Listen for the signals before announcing readiness: stdout to a pipe is synchronous, so a
      // supervisor may send SIGTERM as soon as it reads the line (the simulator command does the same).
      const stopped = waitForShutdownSignal();
      writeLine(
        io.stdout,
        JSON.stringify({ url: service.url, serviceBusConnectionString: service.stack.serviceBusConnectionString, simulatorUrl: service.stack.sim.url, caCertFile: service.stack.sim.caCertFile }),
      );
      writeLine(io.stderr, `flowdeploy serve: POST ${service.url}/api/deployments, Event Grid webhook ${service.url}/runtime/webhooks/eventgrid?functionName=bulkTestEvents; Ctrl+C stops`);
      await stopped;
      await service.close();
      writeLine(io.stderr, "flowdeploy serve stopped");
      setExitCode(0);
    });
};

/** Spans to FILE as JSON lines, from here on (loaded only when asked for). */
function startTraceFile(file: string): void {
  const { traceToFile } = require("../../tracing/fileExporter") as typeof import("../../tracing/fileExporter");
  traceToFile(resolve(file));
}
