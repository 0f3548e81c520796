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
  return issues.map((i) => `${formatPath(i.path as PropertyKey[])}: ${friendlyMessage(i)}`);
}

export function toFieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.map((i) => ({ path: i.path as (string | number)[], message: friendlyMessage(i) }));
}

/** zod's own messages for the codes we do not word ourselves, made shorter and clearer. */
function friendlyMessage(issue: FieldIssue | z.core.$ZodIssue): string {
  if ("code" in issue && issue.code === "unrecognized_keys") {
    return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
  }
  if (/received undefined$/.test(issue.message)) return "required";
  return issue.message;
}
