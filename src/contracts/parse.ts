import type { z } from "zod";
import { DeployRequest } from "./deployRequest";
import { toFieldIssues, type FieldIssue } from "./issues";
import { DeploymentNotification } from "./notification";

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

/** Service Bus caps a message at 256 KB (Standard tier); no valid request comes near it. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

function parseWith<T>(schema: z.ZodType<T>, raw: unknown): Parsed<T> {
  const result = schema.safeParse(raw);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toFieldIssues(result.error.issues) };
}

export const parseDeployRequest = (raw: unknown): Parsed<DeployRequest> => parseWith(DeployRequest, raw);
export const parseNotification = (raw: unknown): Parsed<DeploymentNotification> => parseWith(DeploymentNotification, raw);

/** Parses JSON text from an edge (a message body, an HTTP body, a file), with a size limit. */
export function parseJsonText(text: string, maxBytes = MAX_MESSAGE_BYTES): Parsed<unknown> {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > maxBytes) return { ok: false, issues: [{ path: [], message: `body is ${bytes} bytes; the limit is ${maxBytes}` }] };
  try {
    // RFC 8259 lets a parser ignore a byte-order mark; the HTTP starter's body reader already drops
    // it, so every edge reads the same bytes the same way.
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown };
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : "unreadable";
    return { ok: false, issues: [{ path: [], message: `not valid JSON (${detail})` }] };
  }
}
