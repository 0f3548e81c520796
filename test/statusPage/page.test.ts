import { createHash, randomBytes } from "node:crypto";
import { Script } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningService } from "../../src/local/serve";
import { buildStatusPage, STATUS_PAGE } from "../../src/statusPage/page";
import { BROWSER_PARTS, STATUS_PAGE_SCRIPT } from "../../src/statusPage/script";
import { STATUS_PAGE_STYLE } from "../../src/statusPage/style";

/**
 * The status page as served: one document whose only script and style sheet are allowed by hash,
 * whose script builds the page from data without any markup sink, and which holds nothing of the
 * request that fetched it (the function key in `?code=` above all). The browser side is
 * test/statusPage/browser.test.ts.
 */
const inline = (html: string, tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(html)?.[1];
const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

describe("the status page document", () => {
  it("allows exactly its own inline script and style sheet (CSP hashes), calls only its own origin, and refuses markup sinks (Trusted Types)", () => {
    const csp = STATUS_PAGE.headers["content-security-policy"]!;
    const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(" ")]));
    expect(inline(STATUS_PAGE.html, "script")).toBe(STATUS_PAGE_SCRIPT);
    expect(inline(STATUS_PAGE.html, "style")).toBe(STATUS_PAGE_STYLE);
    expect(directives).toMatchObject({
      "default-src": "'none'",
      "script-src": sha256(STATUS_PAGE_SCRIPT),
      "style-src": sha256(STATUS_PAGE_STYLE),
      "connect-src": "'self'",
      "form-action": "'none'",
      "frame-ancestors": "'none'",
      "require-trusted-types-for": "'script'",
      "trusted-types": "'none'",
    });
    expect(STATUS_PAGE.headers).toMatchObject({ "content-type": "text/html; charset=utf-8", "referrer-policy": "no-referrer", "x-content-type-options": "nosniff", "cache-control": "no-store" });
    // One script, one style sheet, nothing loaded from elsewhere.
    expect(STATUS_PAGE.html.match(/<script/g)).toHaveLength(1);
    expect(STATUS_PAGE.html).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*stylesheet|\s(src|href|action)=["']?(https?:)?\/\//);
    expect([...STATUS_PAGE.html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0])).toEqual(["http://www.w3.org/2000/svg"]);
  });

  it("its script is plain JavaScript a browser parses as it is, and builds the page without parsing markup from data", () => {
    expect(() => new Script(STATUS_PAGE_SCRIPT)).not.toThrow();
    for (const part of BROWSER_PARTS) {
      expect(part).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|createContextualFragment|DOMParser/);
      expect(part).not.toMatch(/localStorage|sessionStorage|document\.cookie/);
    }
    // The key is read once, from the address, and used only as a request header.
    expect(STATUS_PAGE_SCRIPT.match(/functionKey/g)).toHaveLength(3);
    expect(STATUS_PAGE_SCRIPT).toContain('headers["x-functions-key"] = functionKey');
  });

  it("refuses to build a document whose inline text would close its own element", () => {
    expect(() => buildStatusPage({ body: "", style: "", script: 'var s = "</script><b>";' })).toThrow(/<\/script/);
    expect(() => buildStatusPage({ body: "", style: "p{}</style>", script: "" })).toThrow(/<\/style/);
  });
});

describe("flowdeploy serve serves it", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await serve({ port: 0, startAt: new Date("2026-11-23T10:00:00.000Z") });
  });
  afterAll(async () => service?.close());

  it("at GET /api/status, the same document for every caller, with nothing of the request in it (the key in ?code= least of all)", async () => {
    const key = randomBytes(30).toString("base64url");
    const res = await fetch(`${service.url}/api/status?code=${key}&endpoint=%3Cscript%3E`, { headers: { "x-functions-key": key } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toBe(STATUS_PAGE.headers["content-security-policy"]);
    const html = await res.text();
    expect(html).toBe(STATUS_PAGE.html);
    expect(html).not.toContain(key);
    expect(html).not.toContain(key.slice(0, 20));
  });

  it("at / as a redirect to it (GET and HEAD), and answers no other method there", async () => {
    const res = await fetch(`${service.url}/`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/api/status");
    expect((await fetch(`${service.url}/`, { method: "HEAD", redirect: "manual" })).status).toBe(302);
    const followed = await fetch(`${service.url}/`);
    expect(followed.url).toBe(`${service.url}/api/status`);
    expect(await followed.text()).toBe(STATUS_PAGE.html);
    expect((await fetch(`${service.url}/api/status`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(404);
    expect((await fetch(`${service.url}/`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).toBe(404);
  });
});
