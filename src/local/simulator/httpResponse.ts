import type { ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";

/** What a handler answers; the server writes it. `body` undefined means no body (202/204). */
export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Destroy the connection instead of answering (injected `reset` fault). */
  reset?: boolean;
  /** A data-plane body written as it is (a blob, Storage's XML error); `headers` carry its Content-Type and Content-Length. */
  raw?: Buffer;
  /** An answer to HEAD: the headers of the GET (Content-Length included), no body. */
  head?: boolean;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, body, headers };
}

export function empty(status: number, headers: Record<string, string> = {}): SimResponse {
  return { status, headers };
}

/**
 * Headers every ARM response carries (recorded file: x-ms-request-id, x-ms-correlation-request-id,
 * x-ms-ratelimit-remaining-subscription-reads/writes, Cache-Control/Pragma no-cache).
 */
export function armCommonHeaders(method: string): Record<string, string> {
  const id = randomUUID();
  const read = method === "GET" || method === "HEAD";
  return {
    "Cache-Control": "no-cache",
    Pragma: "no-cache",
    "x-ms-request-id": id,
    "x-ms-correlation-request-id": id,
    [read ? "x-ms-ratelimit-remaining-subscription-reads" : "x-ms-ratelimit-remaining-subscription-writes"]: read
      ? "11999"
      : "1199",
  };
}

export function writeResponse(res: ServerResponse, response: SimResponse, extraHeaders: Record<string, string> = {}): void {
  const headers: Record<string, string> = { ...extraHeaders, ...(response.headers ?? {}) };
  if (response.raw !== undefined) {
    headers["Content-Length"] ??= String(response.raw.length);
    res.writeHead(response.status, headers);
    res.end(response.head ? undefined : response.raw);
    return;
  }
  if (response.body === undefined) {
    headers["Content-Length"] = "0";
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(response.body);
  headers["Content-Type"] = "application/json; charset=utf-8";
  headers["Content-Length"] = String(Buffer.byteLength(text));
  res.writeHead(response.status, headers);
  res.end(text);
}
