import type { Command } from "commander";

/**
 * What exit codes 0 and 1 mean for each command; 2 (usage error) and 3 (internal error) mean the
 * same everywhere. Printed at the end of `flowdeploy <command> --help` (README "The CLI").
 */
export const COMMAND_EXIT_CODES: Readonly<Record<string, readonly [ok: string, failure?: string]>> = {
  local: ["the deployment Succeeded, or the trigger ignores the input (Ignored: ...)", "it ended Failed or Rejected"],
  serve: ["stopped by Ctrl+C or SIGTERM", "the port cannot be listened on"],
  validate: ["accepted (or ignored: an event that maps to nothing)", "invalid: one line per problem, each naming the field"],
  schema: ["printed"],
  simulator: ["stopped by Ctrl+C or SIGTERM", "a scenario file that does not validate, or a port it cannot listen on"],
  enqueue: [
    "sent; the request id is printed (with --wait: and its notifications, the last one Succeeded)",
    "an invalid request (nothing sent), the queue cannot be reached, or with --wait: another outcome (e.g. Rejected RequestIdConflict) or --timeout",
  ],
  watch: [
    "--once and the outcome Succeeded (or, with --outcome AwaitingApproval, that notification), --timeout after printing one, or stopped by Ctrl+C or SIGTERM",
    "--once and another outcome, --timeout with nothing printed (with --once: no outcome yet), or the subscription cannot be reached",
  ],
  cancel: ["the cancel was requested", "refused by the app, or it cannot be reached"],
  approve: ["the approval was handed to the deployment waiting for it", "refused by the app (not waiting for approval, not an approver, unknown), or it cannot be reached"],
  reject: ["the rejection was handed to the deployment waiting for it (it ends Failed, ApprovalRejected)", "refused by the app (not waiting for approval, not an approver, unknown), or it cannot be reached"],
  "release-lock": ["the lock is released (or was already free)", "refused (the deployment still runs), or the app cannot be reached"],
  status: ["the deployment runs or Succeeded", "it Failed, was Cancelled or Terminated, none is found, or the app refuses or cannot be reached"],
  list: ["a page was printed (even an empty one)", "refused by the app, or it cannot be reached"],
  plan: ["the request would start", "it would not (the problems are listed) or it is rejected, or the app cannot be reached"],
  inventory: ["the app read the workspaces (or some of them: the others are named on stderr), whatever it found", "refused by the app (a workspace outside its allow-list), it cannot be reached, or no workspace could be read"],
};

export function exitCodesHelp(command: string | undefined): string {
  const specific = command === undefined ? undefined : COMMAND_EXIT_CODES[command];
  const lines = specific
    ? [`  0  ${specific[0]}`, ...(specific[1] ? [`  1  ${specific[1]}`] : [])]
    : ["  0  success", "  1  a result that is not success (Failed, Rejected, invalid input, a refused or unreachable service)"];
  return ["", "Exit codes:", ...lines, "  2  usage error (bad flags or arguments, a bad setting)", "  3  internal error: a bug (one line, flowdeploy: internal error: ...); please report it"].join("\n");
}

/** Adds the exit codes to the help of the program and of every command. */
export function addExitCodesHelp(program: Command): void {
  program.addHelpText("after", exitCodesHelp(undefined));
  for (const sub of program.commands) sub.addHelpText("after", exitCodesHelp(sub.name()));
}
