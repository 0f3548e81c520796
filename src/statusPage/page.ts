import { createHash } from "node:crypto";
import { STATUS_PAGE_BODY } from "./markup";
import { STATUS_PAGE_SCRIPT } from "./script";
import { STATUS_PAGE_STYLE } from "./style";

/**
 * The status page as one document: markup, style and script inline, so one request (one route, one
 * function key) brings all of it, and the headers that keep it to itself. Built once at load; it
 * holds no data: the script reads the JSON routes.
 *
 * Content-Security-Policy (W3C CSP Level 3): only this script and this style sheet run, by hash;
 * `connect-src 'self'` lets the script call the app's own routes and nothing else; no plugins,
 * frames, forms posting anywhere, or base URL. `require-trusted-types-for 'script'` with
 * `trusted-types 'none'` makes the browser refuse any string handed to innerHTML and the other
 * markup sinks (W3C Trusted Types; Chromium enforces it), so data can only ever become text.
 * Referrer-Policy no-referrer: the page's address may carry the function key (`?code=`); no request
 * the page makes sends it on as a Referer.
 */
export interface StatusPage {
  html: string;
  headers: Record<string, string>;
}

const cspHash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

export function buildStatusPage(parts: { body: string; style: string; script: string } = { body: STATUS_PAGE_BODY, style: STATUS_PAGE_STYLE, script: STATUS_PAGE_SCRIPT }): StatusPage {
  // Inline text ends at the first closing tag, whatever comes after it.
  if (/<\/script/i.test(parts.script)) throw new Error("the status page script must not contain '</script'");
  if (/<\/style/i.test(parts.style)) throw new Error("the status page style must not contain '</style'");
  const html =
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="referrer" content="no-referrer">\n<link rel="icon" href="data:,">\n<title>Deployments — flowdeploy</title>\n<style>${parts.style}</style>\n</head>\n<body>\n${parts.body}\n<script>${parts.script}</script>\n</body>\n</html>\n`;
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(parts.script)}`,
    `style-src ${cspHash(parts.style)}`,
    "connect-src 'self'",
    // The empty icon above: without one the browser asks the app for /favicon.ico.
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join("; ");
  return {
    html,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": csp,
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "cache-control": "no-store",
    },
  };
}

export const STATUS_PAGE = buildStatusPage();
