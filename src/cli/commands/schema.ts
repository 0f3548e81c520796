import { Option } from "commander";
import { MESSAGE_KINDS, messageJsonSchemas, type MessageKind } from "../../contracts";
import { scenarioJsonSchema } from "../../local/simulator/scenario";
import { writeLine } from "../io";
import type { RegisterCommand } from "../command";

/** `--kind scenario`: the simulator's scenario file (not a message: left out of the all-contracts output). */
const SCHEMA_KINDS = [...MESSAGE_KINDS, "scenario"] as const;
type SchemaKind = (typeof SCHEMA_KINDS)[number];

export const registerSchemaCommand: RegisterCommand = (program, io) => {
  program
    .command("schema")
    .description("print the JSON Schema of the message contracts (all of them, keyed by kind, or one), or of a simulator scenario file")
    .addOption(new Option("--kind <kind>", "print only this contract's schema (scenario: the simulator's scenario file)").choices(SCHEMA_KINDS))
    .action((opts: { kind?: SchemaKind }) => {
      if (opts.kind === "scenario") {
        writeLine(io.stdout, JSON.stringify(scenarioJsonSchema(), null, 2));
        return;
      }
      const schemas = messageJsonSchemas();
      writeLine(io.stdout, JSON.stringify(opts.kind ? schemas[opts.kind as MessageKind] : schemas, null, 2));
    });
};
