import { Option } from "commander";
import {
  classifyEvent,
  formatIssues,
  MESSAGE_KINDS,
  parseDeployRequest,
  parseJsonText,
  parseNotification,
  type FieldIssue,
  type MessageKind,
} from "../../contracts";
import { ExitCode, writeLine } from "../io";
import type { RegisterCommand } from "../main";
import { readInputText } from "../readInput";

/** What validation of one input concluded, as the lines to print and its exit code. */
interface Verdict {
  lines: string[];
  exitCode: number;
}

const accepted = (line = "accepted"): Verdict => ({ lines: [line], exitCode: ExitCode.ok });
const rejected = (issues: FieldIssue[]): Verdict => ({ lines: formatIssues(issues), exitCode: ExitCode.failure });

export const registerValidateCommand: RegisterCommand = (program, io, setExitCode) => {
  program
    .command("validate")
    .description("check a deploy request, event (or array of events) or notification against its contract")
    .addOption(new Option("--kind <kind>", "what FILE holds").choices(MESSAGE_KINDS).makeOptionMandatory())
    .argument("<FILE>", 'a JSON file, or "-" for standard input')
    .action(async (file: string, opts: { kind: MessageKind }) => {
      const text = await readInputText(file, io.stdin);
      const verdict = validateText(opts.kind, text);
      for (const line of verdict.lines) writeLine(io.stdout, line);
      setExitCode(verdict.exitCode);
    });
};

/** Validates the JSON text of one kind of message; never throws for bad input. */
export function validateText(kind: MessageKind, text: string): Verdict {
  const json = parseJsonText(text);
  if (!json.ok) return rejected(json.issues);
  switch (kind) {
    case "request": {
      const parsed = parseDeployRequest(json.value);
      return parsed.ok ? accepted() : rejected(parsed.issues);
    }
    case "notification": {
      const parsed = parseNotification(json.value);
      return parsed.ok ? accepted() : rejected(parsed.issues);
    }
    case "event":
      return validateEvents(json.value);
  }
}

/** Event Grid delivers arrays of events: one verdict per event, and the worst exit code. */
function validateEvents(value: unknown): Verdict {
  if (!Array.isArray(value)) return eventVerdict(value);
  if (value.length === 0) return rejected([{ path: [], message: "expected at least one event" }]);
  const verdicts = value.map((event, index) => ({ index, verdict: eventVerdict(event) }));
  return {
    lines: verdicts.flatMap(({ index, verdict }) => verdict.lines.map((line) => `[${index}] ${line}`)),
    exitCode: Math.max(...verdicts.map((v) => v.verdict.exitCode)),
  };
}

function eventVerdict(event: unknown): Verdict {
  const result = classifyEvent(event);
  switch (result.outcome) {
    case "accepted":
      return accepted();
    case "ignored":
      return accepted(`ignored: ${result.reason}`);
    case "rejected":
      return rejected(result.issues);
  }
}
