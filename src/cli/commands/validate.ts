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
import { ConfigError, parseConfig } from "../../config";
import { eventPolicyViolation } from "../../intake/eventPolicy";
import { requestPolicyViolation } from "../../intake/intake";
import { intakePolicyFrom, type IntakePolicy } from "../../intake/policy";
import { ExitCode, UsageError, writeLine } from "../io";
import type { RegisterCommand } from "../command";
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
    .option("--intake-rules", "also apply the Function App's intake rules from the environment (allow-lists, gates, event sources and age, limits), as it would now")
    .argument("<FILE>", 'a JSON file, or "-" for standard input')
    .action(async (file: string, opts: { kind: MessageKind; intakeRules?: boolean }) => {
      const text = await readInputText(file, io.stdin);
      const verdict = validateText(opts.kind, text, opts.intakeRules ? appPolicy(process.env) : undefined);
      for (const line of verdict.lines) writeLine(io.stdout, line);
      setExitCode(verdict.exitCode);
    });
};

/** The Function App's own intake policy from the environment (not the local defaults); a bad setting is a usage error. */
function appPolicy(env: Record<string, string | undefined>): IntakeRules {
  try {
    return { policy: intakePolicyFrom(parseConfig(env)), now: new Date() };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** Intake rules to apply on top of the contract, at a given time. */
export interface IntakeRules {
  policy: IntakePolicy;
  now: Date;
}

function policyVerdict(violation: { code: string; issues: FieldIssue[] } | undefined): Verdict {
  return violation ? { lines: formatIssues(violation.issues).map((line) => `${violation.code}: ${line}`), exitCode: ExitCode.failure } : accepted();
}

/** Validates the JSON text of one kind of message; never throws for bad input. */
export function validateText(kind: MessageKind, text: string, rules?: IntakeRules): Verdict {
  const json = parseJsonText(text);
  if (!json.ok) return rejected(json.issues);
  switch (kind) {
    case "request": {
      const parsed = parseDeployRequest(json.value);
      if (!parsed.ok) return rejected(parsed.issues);
      return rules ? policyVerdict(requestPolicyViolation(parsed.value, rules.policy)) : accepted();
    }
    case "notification": {
      const parsed = parseNotification(json.value);
      return parsed.ok ? accepted() : rejected(parsed.issues);
    }
    case "event":
      return validateEvents(json.value, rules);
  }
}

/** Event Grid delivers arrays of events: one verdict per event, and the worst exit code. */
function validateEvents(value: unknown, rules: IntakeRules | undefined): Verdict {
  if (!Array.isArray(value)) return eventVerdict(value, rules);
  if (value.length === 0) return rejected([{ path: [], message: "expected at least one event" }]);
  const verdicts = value.map((event, index) => ({ index, verdict: eventVerdict(event, rules) }));
  return {
    lines: verdicts.flatMap(({ index, verdict }) => verdict.lines.map((line) => `[${index}] ${line}`)),
    exitCode: Math.max(...verdicts.map((v) => v.verdict.exitCode)),
  };
}

function eventVerdict(event: unknown, rules: IntakeRules | undefined): Verdict {
  const result = classifyEvent(event);
  switch (result.outcome) {
    case "accepted":
      if (!rules) return accepted();
      return policyVerdict(eventPolicyViolation(result, rules.policy, rules.now) ?? requestPolicyViolation(result.request, rules.policy));
    case "ignored":
      return accepted(`ignored: ${result.reason}`);
    case "rejected":
      return rejected(result.issues);
  }
}
