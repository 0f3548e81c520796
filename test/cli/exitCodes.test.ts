import { describe, expect, it } from "vitest";
import { COMMAND_EXIT_CODES } from "../../src/cli/exitCodes";
import { runCli } from "../support/cli";

/** The command names `flowdeploy --help` lists (without commander's own `help`). */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? "";
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((name) => name !== "help");
}

describe("exit codes in --help (README, The CLI)", () => {
  it("the program's help lists 0-3, and every command has its own meanings of 0 and 1", async () => {
    const root = await runCli(["--help"]);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 {2}usage error.*\n {2}3 {2}internal error/);
    const commands = listedCommands(root.stdout);
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.sort()).toEqual(Object.keys(COMMAND_EXIT_CODES).sort());
  });

  it.each(Object.keys(COMMAND_EXIT_CODES))("flowdeploy %s --help ends with its exit codes, 3 included", async (command) => {
    const r = await runCli([command, "--help"]);
    expect(r.code).toBe(0);
    const [ok, failure] = COMMAND_EXIT_CODES[command]!;
    expect(r.stdout).toContain(`Exit codes:\n  0  ${ok}\n`);
    if (failure) expect(r.stdout).toContain(`\n  1  ${failure}\n`);
    expect(r.stdout).toMatch(/\n {2}2 {2}usage error[^\n]*\n {2}3 {2}internal error[^\n]*\n?$/);
  });
});
