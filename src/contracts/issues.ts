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
  if ("code" in issue && ZOD_DEFAULT_MESSAGE.test(issue.message)) return plainZodMessage(issue);
  return issue.message;
}

/** How zod's English locale starts the messages it writes itself (a schema's own `error` replaces them). */
const ZOD_DEFAULT_MESSAGE = /^(Invalid (input|option|string|key|element|GUID|UUID|ISO|email|URL|url)|Too (big|small):)/;

const TYPE_NAMES: Record<string, string> = {
  array: "an array",
  object: "an object",
  record: "an object",
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  null: "null",
};
const typeName = (t: string) => TYPE_NAMES[t] ?? t;
const RECEIVED_NAMES: Record<string, string> = { array: "an array", object: "an object", string: "a string", number: "a number", boolean: "a boolean", null: "null" };

/**
 * zod's default wording ("Invalid input: expected record, received array", "Too big: expected
 * string to have <=100 characters") in the words the rest of flowdeploy uses ("expected an object,
 * received an array", "at most 100 characters"), for the fields whose schema gives no message.
 */
export function plainZodMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      if (received === "undefined") return "required";
      return `expected ${typeName(issue.expected)}${received ? `, received ${RECEIVED_NAMES[received] ?? received}` : ""}`;
    }
    case "too_big": {
      const max = Number(issue.maximum);
      if (issue.origin === "string") return `at most ${max} character${max === 1 ? "" : "s"}`;
      if (issue.origin === "array" || issue.origin === "set") return `at most ${max} item${max === 1 ? "" : "s"}`;
      return issue.inclusive === false ? `must be less than ${max}` : `must be at most ${max}`;
    }
    case "too_small": {
      const min = Number(issue.minimum);
      if ((issue.origin === "string" || issue.origin === "array") && min === 1) return "must not be empty";
      if (issue.origin === "string") return `at least ${min} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `at least ${min} items`;
      return issue.inclusive === false ? `must be more than ${min}` : `must be at least ${min}`;
    }
    case "invalid_value":
      return `expected ${oneOf(issue.values)}`;
    case "invalid_format":
      if (issue.format === "guid" || issue.format === "uuid") return "expected a GUID";
      if (issue.format === "datetime") return "expected an ISO-8601 timestamp";
      if (issue.format === "regex" && "pattern" in issue) return `does not match the pattern ${String(issue.pattern)}`;
      return `expected ${issue.format === "url" ? "a URL" : `the ${issue.format} format`}`;
    case "invalid_union": {
      // Each alternative's first complaint; when all are about the type, name the types.
      const firsts = issue.errors.map((alternative) => alternative[0]);
      if (firsts.length > 0 && firsts.every((i) => i?.code === "invalid_type")) {
        const names = [...new Set(firsts.map((i) => typeName((i as { expected: string }).expected)))];
        const received = /received (\w+)$/.exec(firsts[0]!.message)?.[1];
        if (received === "undefined") return "required";
        return `expected ${names.join(" or ")}${received ? `, received ${RECEIVED_NAMES[received] ?? received}` : ""}`;
      }
      return "matches none of the allowed forms";
    }
    default:
      return issue.message;
  }
}

/** `"a"`, `"a" or "b"`, `one of "a", "b", "c"`. */
function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => JSON.stringify(v));
  if (shown.length <= 2) return shown.join(" or ");
  return `one of ${shown.join(", ")}`;
}
