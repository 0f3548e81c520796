/**
 * Runs only the `simulator` command, with the same exit-code rules as src/cli/main.ts, for the CLI
 * process tests while main.ts does not list the command yet. Started as
 * `node --require tsx/cjs test/simulator/support/simulatorCli.ts simulator ...`;
 * lifecycle.test.ts switches to the real bin/flowdeploy.cjs once main.ts registers the command.
 */
import { Command, CommanderError } from "commander";
import { registerSimulatorCommand } from "../../../src/cli/commands/simulator";
import { processIO, UsageError } from "../../../src/cli/io";

let exitCode = 0;
const program = new Command("flowdeploy").exitOverride();
registerSimulatorCommand(program, processIO, (code) => {
  exitCode = code;
});
for (const sub of program.commands) sub.exitOverride();
program.parseAsync(process.argv).then(
  () => {
    process.exitCode = exitCode;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`flowdeploy: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else {
      process.stderr.write(`flowdeploy: internal error: ${(err as Error).message}\n`);
      process.exitCode = 3;
    }
  },
);
