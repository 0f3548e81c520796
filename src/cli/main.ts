import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { ExitCode, processIO, UsageError, writeLine, type CliIO } from "./io";
import { registerValidateCommand } from "./commands/validate";
import { registerSchemaCommand } from "./commands/schema";
import { registerSimulatorCommand } from "./commands/simulator";
import { registerLocalCommand } from "./commands/local";
import { registerServeCommand } from "./commands/serve";
import { registerEnqueueCommand } from "./commands/enqueue";
import { registerWatchCommand } from "./commands/watch";
import { registerOperateCommands } from "./commands/operate";
import { registerDeploymentQueryCommands } from "./commands/deployments";
import { registerPlanCommand } from "./commands/plan";
import { registerInventoryCommand } from "./commands/inventory";
import { addExitCodesHelp } from "./exitCodes";

/** A command module adds itself to the program; its action resolves to an exit code. */
import type { RegisterCommand } from "./command";
export type { RegisterCommand };

const commands: RegisterCommand[] = [registerLocalCommand, registerServeCommand, registerValidateCommand, registerSchemaCommand, registerSimulatorCommand, registerEnqueueCommand, registerWatchCommand, registerOperateCommands, registerDeploymentQueryCommands, registerPlanCommand, registerInventoryCommand];

/** The version in package.json (this file is src/cli/main.ts; the CLI runs from the sources). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version;
}

/**
 * Runs the flowdeploy CLI and resolves to its exit code: 0 success, 1 invalid input or a failed
 * deployment, 2 usage error (exitCodes.ts). Never prints a stack trace for bad input. What it throws
 * is a bug: bin/flowdeploy.cjs prints it as one line and exits 3 (ExitCode.internal).
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command("flowdeploy")
    .description("Deploy Azure Machine Learning prompt flows through a durable, event-driven pipeline")
    .version(packageVersion(), "-V, --version", "print the flowdeploy version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError("(run with --help for usage)");
  for (const register of commands) register(program, io, (code) => (exitCode = code));
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  addExitCodesHelp(program);

  try {
    await program.parseAsync([...argv], { from: "node" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof UsageError) {
      writeLine(io.stderr, `flowdeploy: ${err.message}`);
      return ExitCode.usage;
    }
    throw err;
  }
  return exitCode;
}
