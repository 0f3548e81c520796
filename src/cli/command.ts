import type { Command } from "commander";
import type { CliIO } from "./io";

/** What each command module exports: it adds its command to the program (main.ts lists them). */
export type RegisterCommand = (program: Command, io: CliIO, setExitCode: (code: number) => void) => void;
