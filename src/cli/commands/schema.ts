import { Option } from "commander";
import { MESSAGE_KINDS, messageJsonSchemas, type MessageKind } from "../../contracts";
import { writeLine } from "../io";
import type { RegisterCommand } from "../main";

export const registerSchemaCommand: RegisterCommand = (program, io) => {
  program
    .command("schema")
    .description("print the JSON Schema of the message contracts (all of them, keyed by kind, or one)")
    .addOption(new Option("--kind <kind>", "print only this contract's schema").choices(MESSAGE_KINDS))
    .action((opts: { kind?: MessageKind }) => {
      const schemas = messageJsonSchemas();
      writeLine(io.stdout, JSON.stringify(opts.kind ? schemas[opts.kind] : schemas, null, 2));
    });
};
