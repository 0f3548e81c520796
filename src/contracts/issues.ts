import type { z } from "zod";

/** An issue found in an input, with the path of the field it concerns. */
export interface FieldIssue {
  path: (string | number)[];
  message: string;
}

/** `deployment.instanceCount`, `stages[0].name`, `data.runTags["flowdeploy.request"]`: the path of a field. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (typeof part === "string" && /^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || "(root)";
}

/** One line per problem: `deployment.instanceCount: expected a positive integer`. */
export function formatIssues(issues: readonly (FieldIssue | z.core.$ZodIssue)[]): string[] {
  return issues.map((i) => printable(`${formatPath(i.path as PropertyKey[])}: ${friendlyMessage(i)}`));
}

/**
 * Control characters, line separators and bidi overrides, written as `\uXXXX`. Rejection lines go to
 * logs, notifications, HTTP answers and terminals, and can quote the input (a JSON parser's error
 * shows a piece of the body; unknown field names are quoted): a hostile body must not forge a log
 * line, restyle a terminal or reorder the text a reader sees.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Unknown field names quoted in one line at most: a body with thousands of them names the first few. */
const MAX_NAMED_KEYS = 10;

export function toFieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.map((i) => ({ path: i.path as (string | number)[], message: friendlyMessage(i) }));
}

/** zod's own messages for the codes we do not word ourselves, made shorter and clearer. */
function friendlyMessage(issue: FieldIssue | z.core.$ZodIssue): string {
  if ("code" in issue && issue.code === "unrecognized_keys") {
    const named = issue.keys.slice(0, MAX_NAMED_KEYS).map((k) => JSON.stringify(k)).join(", ");
    const more = issue.keys.length > MAX_NAMED_KEYS ? ` and ${issue.keys.length - MAX_NAMED_KEYS} more` : "";
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${named}${more}`;
  }
  // A record key that breaks its rule: say the rule ("environment variable names hold ..."), not zod's "Invalid key in record".
  if ("code" in issue && issue.code === "invalid_key" && issue.issues[0]?.message) return issue.issues[0].message;
  if (/received undefined$/.test(issue.message)) return "required";
  return issue.message;
}
