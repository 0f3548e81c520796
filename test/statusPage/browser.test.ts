import { randomBytes } from "node:crypto";
import type { Page, Request } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { recordStack } from "../reliability/support/deploy";
import { recordArtifact, recordSecrets, scanForLeaksAfterAll } from "../reliability/support/leaks";
import { chromiumMissing, openBrowser, type Browser } from "./support/browser";
import { startService, type Service } from "./support/service";

/**
 * The status page in a real browser (Debian's Chromium through playwright-core) against `flowdeploy
 * serve` in-process, on a virtual clock only the test moves (support/service.ts): the page polls the
 * status route every 2 s, so what it shows between two moves of the clock is exactly what the app
 * reached. Every wait is for something the page shows (no timing assumed); a broken page fails on a
 * 30 s wait, never on speed.
 *
 * The page is opened as on Azure, `/api/status?code=<key>`: every call its script makes must carry
 * the key as `x-functions-key`, and the key must appear nowhere in what was served or rendered. The
 * secret scan of the reliability tests (test/reliability/support/leaks.ts) runs over the HTML served,
 * every answer the page read, and the DOM after each view rendered, for the key and for every
 * endpoint key the simulator issued.
 */
scanForLeaksAfterAll({ minSecrets: 2 });

const KEY = randomBytes(30).toString("base64url");
recordSecrets([KEY]);

let app: Service;
let browser: Browser;
let page: Page;
/** Every request the page made to the app's routes, in order. */
const requests: Request[] = [];
/** Script errors and console errors (a CSP violation is one): none is expected. */
const pageProblems: string[] = [];

beforeAll(async () => {
  if (chromiumMissing) return;
  app = await startService({
    existing: [{ endpoint: "ep-gate", deployments: [{ name: "blue", traffic: 100 }] }],
    faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure", endpoint: "ep-fail" }],
  });
  browser = await openBrowser();
  page = browser.page;
  page.on("request", (r) => {
    if (r.url().startsWith(`${app.url}/api/`)) requests.push(r);
  });
  page.on("response", async (r) => {
    if (!r.url().startsWith(`${app.url}/api/`)) return;
    recordArtifact(`answer to ${r.request().method()} ${new URL(r.url()).pathname}`, await r.text().catch(() => ""));
  });
  page.on("pageerror", (err) => pageProblems.push(`page error: ${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") pageProblems.push(`console error: ${m.text()}`);
  });
}, 90_000);

/** Takes out the problems a test caused on purpose (one at least must match). */
function expectedProblems(pattern: RegExp): void {
  const matched = pageProblems.filter((p) => pattern.test(p));
  expect(matched.length, `${pattern} among ${JSON.stringify(pageProblems)}`).toBeGreaterThan(0);
  pageProblems.splice(0, pageProblems.length, ...pageProblems.filter((p) => !pattern.test(p)));
}

afterEach(() => {
  recordArtifact("page problems", pageProblems.join("\n"));
  expect(pageProblems.splice(0)).toEqual([]);
});

afterAll(async () => {
  if (chromiumMissing) return;
  recordStack(app.service.stack, "status page");
  await browser?.close();
  await app?.close();
});

/** Opens a view of the page as on Azure (`?code=`), and records the HTML served. */
async function open(hash: string): Promise<void> {
  // A fresh load each time (a change of fragment alone would not fetch the document again).
  await page.goto("about:blank");
  const res = await page.goto(`${app.url}/api/status?code=${KEY}${hash}`);
  expect(res?.status()).toBe(200);
  recordArtifact(`page served for ${hash}`, await res!.text());
}

/** An expression evaluated in the page (text: this project's TypeScript has no DOM types). */
const inPage = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

/** The DOM as rendered now, into the secret scan; also checked at once for the key. */
async function recordDom(label: string): Promise<void> {
  const { html, text, values } = await inPage<{ html: string; text: string; values: string }>(`({
    html: document.documentElement.outerHTML,
    text: document.body.innerText + document.title,
    values: [...document.querySelectorAll("input, select")].map((e) => e.value).join(" "),
  })`);
  for (const rendered of [html, text, values]) expect(rendered, label).not.toContain(KEY.slice(0, 20));
  recordArtifact(`DOM: ${label}`, `${html}\n${values}`);
}

const bars = () => page.locator("#d-timeline rect.bar");
const live = () => page.locator("#deployment-view").getAttribute("data-live");
const outcomeBadge = () => page.locator("#d-outcome .badge");
const until = (fn: () => Promise<boolean>) => expect.poll(fn, { timeout: 30_000, interval: 200 }).toBe(true);

describe.skipIf(chromiumMissing)("the status page in Chromium", () => {
  it("shows a running deployment whose timeline grows as the clock moves, then stops updating once it has an outcome", async () => {
    const id = await app.start("page-grow-1", (r) => (r.endpoint.name = "ep-grow"));
    await app.advance(0);
    await open("#/");
    const row = page.locator(`#list-body tr[data-instance="${id}"]`);
    await expect.poll(() => row.getAttribute("data-outcome"), { timeout: 30_000 }).toBe("Running");
    await row.getByRole("link", { name: "ep-grow/green" }).click();
    await page.locator("#d-timeline svg").waitFor();
    expect(await live()).toBe("on");
    expect(await page.locator("#d-live").textContent()).toContain("at stage endpoint");
    const first = await bars().count();
    expect(first).toBeGreaterThanOrEqual(1);
    await recordDom("a deployment at its first stage");

    // Five simulated minutes: the endpoint is up, the roles granted, the deployment provisioning and
    // the propagation wait open until its deadline. The page sees it at its next poll.
    await app.advance(5);
    await until(async () => (await bars().count()) > first);
    await until(async () => (await page.locator('#d-timeline g.row[data-stage="propagation"] rect.pending').count()) === 1);
    expect(await page.locator('#d-timeline rect.bar[data-stage="deployment"]').getAttribute("data-outcome")).toBe("Running");
    expect(await page.locator("#d-timeline line.marker.m-deadline").count()).toBe(1);
    expect(await page.locator("#d-summary").textContent()).toMatch(/Roles usable from.*after the last update/);
    await recordDom("a deployment waiting for the propagation deadline");

    await app.settle();
    await until(async () => (await live()) === "off");
    expect(await outcomeBadge().textContent()).toBe("Succeeded");
    expect(await page.locator('#d-timeline rect.bar[data-outcome="Running"]').count()).toBe(0);
    expect(await bars().count()).toBeGreaterThanOrEqual(7);
    expect(await page.locator('#d-traffic-body tr[data-when="after"][data-deployment="green"]').textContent()).toContain("100%");
    expect(await page.locator("#d-actions").isHidden()).toBe(true);
    await recordDom("a succeeded deployment");

    // Finished: no more polls (two intervals and more without a request for it).
    const polls = () => requests.filter((r) => new URL(r.url()).pathname === `/api/deployments/${id}`).length;
    const before = polls();
    await page.waitForTimeout(5_000);
    expect(polls()).toBe(before);
  });

  it("sends the function key from ?code= as x-functions-key on every call, writes it nowhere, and no data can become markup", async () => {
    const calls = requests.filter((r) => new URL(r.url()).pathname.startsWith("/api/deployments"));
    expect(calls.length).toBeGreaterThan(3);
    for (const call of calls) {
      expect(call.headers()["x-functions-key"], call.url()).toBe(KEY);
      expect(call.url()).not.toContain(KEY);
      // Referrer-Policy no-referrer: the page's address (and its ?code=) is not sent on.
      expect(call.headers()["referer"] ?? "").toBe("");
    }
    // Trusted Types (the page's CSP): a string handed to innerHTML is refused by the browser itself.
    const sink = await inPage<string>(`(() => {
      try {
        document.body.innerHTML = "<b>x</b>";
        return "accepted";
      } catch (err) {
        return err.name;
      }
    })()`);
    expect(sink).toBe("TypeError");
    expectedProblems(/requires 'TrustedHTML' assignment/);
  });

  it("approves a deployment waiting at its approval stage, from the keyboard; reject needs a reason first", async () => {
    const id = await app.start("page-gate-1", (r) => {
      r.endpoint.name = "ep-gate";
      r.rollout = { strategy: "blueGreen", onFailure: "delete", approval: { required: true, timeoutMinutes: 120, approvers: ["ml-leads@contoso.com"] } };
    });
    // Past the deployment, the propagation wait and the smoke test: it waits for an approver.
    await app.advance(30);
    await open(`#/deployments/${id}`);
    const approve = page.getByRole("button", { name: "Approve" });
    const reject = page.getByRole("button", { name: "Reject" });
    await approve.waitFor();
    expect(await reject.isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: "Cancel deployment" }).isVisible()).toBe(true);
    expect(await page.locator('#d-timeline g.row[data-stage="approval"] rect.pending').count()).toBe(1);
    expect(await page.locator("#d-rollout-list").textContent()).toContain("approvers: ml-leads@contoso.com");
    await recordDom("a deployment waiting for approval");

    const posts = () => requests.filter((r) => r.method() === "POST").length;
    const postsBefore = posts();
    await reject.click();
    await expect.poll(() => page.locator("#act-result").textContent()).toContain("A reason is needed to reject");
    expect(await inPage<string>("document.activeElement.id")).toBe("act-reason");
    expect(posts()).toBe(postsBefore);

    page.once("dialog", (d) => void d.accept());
    await approve.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#act-result").textContent(), { timeout: 30_000 }).toContain("Approved by function key");
    const post = requests.filter((r) => r.method() === "POST").at(-1)!;
    expect(new URL(post.url()).pathname).toBe(`/api/deployments/${id}/approve`);
    expect(post.headers()["x-functions-key"]).toBe(KEY);

    await app.advance(10);
    await until(async () => (await live()) === "off");
    expect(await outcomeBadge().textContent()).toBe("Succeeded");
    expect(await page.locator("#d-rollout-list").textContent()).toContain("approved by function key");
    expect(await approve.isHidden()).toBe(true);
    expect(await page.locator('#d-traffic-body tr[data-when="before"][data-deployment="blue"]').textContent()).toContain("100%");
    expect(await page.locator('#d-traffic-body tr[data-when="before"][data-deployment="green"]').count()).toBe(0);
    expect(await page.locator('#d-traffic-body tr[data-when="after"][data-deployment="blue"]').textContent()).toContain("0%");
    expect(await page.locator('#d-traffic-body tr[data-when="after"][data-deployment="green"]').textContent()).toContain("100%");
    await recordDom("an approved deployment");
  });

  it("cancels a running deployment from the page: it ends Cancelled at the stage it was in", async () => {
    const id = await app.start("page-cancel-1", (r) => (r.endpoint.name = "ep-cancel"));
    await app.advance(5);
    await open(`#/deployments/${id}`);
    const cancel = page.getByRole("button", { name: "Cancel deployment" });
    await cancel.waitFor();
    expect(await page.getByRole("button", { name: "Approve" }).isHidden()).toBe(true);
    expect(await page.getByRole("button", { name: "Reject" }).isHidden()).toBe(true);

    await page.getByLabel("Reason").fill("wrong flow version");
    page.once("dialog", (d) => void d.accept());
    await cancel.click();
    await expect.poll(() => page.locator("#act-result").textContent(), { timeout: 30_000 }).toContain("Cancel requested at stage deployment");

    await app.advance(30);
    await until(async () => (await live()) === "off");
    expect(await outcomeBadge().textContent()).toBe("Cancelled");
    expect(await page.locator("#d-error h2").textContent()).toBe("Cancelled");
    expect(await page.locator('#d-error [data-field="stage"]').textContent()).toBe("deployment");
    expect(await page.locator('#d-error [data-field="code"]').textContent()).toBe("Cancelled");
    expect(await page.locator('#d-error [data-field="message"]').textContent()).toContain("wrong flow version");
    expect(await page.locator("#d-actions").isHidden()).toBe(true);
    await recordDom("a cancelled deployment");
  });

  it("shows a failed deployment's stage and code, on its timeline too", async () => {
    const id = await app.start("page-fail-1", (r) => (r.endpoint.name = "ep-fail"));
    await app.advance(30);
    await open(`#/deployments/${id}`);
    await until(async () => (await live()) === "off");
    expect(await outcomeBadge().textContent()).toBe("Failed");
    expect(await page.locator("#d-error").isVisible()).toBe(true);
    expect(await page.locator('#d-error [data-field="stage"]').textContent()).toBe("deployment");
    expect(await page.locator('#d-error [data-field="code"]').textContent()).toBe("ImagePullFailure");
    expect(await page.locator('#d-timeline rect.bar[data-stage="deployment"]').getAttribute("data-outcome")).toBe("Failed");
    expect(await page.locator("#d-actions").isHidden()).toBe(true);
    await recordDom("a failed deployment");
  });

  it("lists deployments newest first at the service's address, filtered by outcome, endpoint and workspace from the form", async () => {
    const res = await page.goto(app.url);
    expect(new URL(page.url()).pathname).toBe("/api/status");
    recordArtifact("page served at /", await res!.text());
    const ids = () => page.locator("#list-body tr[data-instance]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-instance")));
    await expect.poll(async () => (await ids()).length, { timeout: 30_000 }).toBe(4);
    const rows = await page.locator("#list-body tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td, th")].map((c) => c.textContent)));
    expect(rows.map((r) => [r[1], r[3]])).toEqual([
      ["Failed", "ep-fail/green"],
      ["Cancelled", "ep-cancel/green"],
      ["Succeeded", "ep-gate/green"],
      ["Succeeded", "ep-grow/green"],
    ]);
    await recordDom("the list");

    await page.getByLabel("Outcome").selectOption("Failed");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect.poll(async () => (await page.locator("#list-body tr[data-outcome]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-outcome"))))).toEqual(["Failed"]);
    expect(new URL(page.url()).hash).toBe("#/?outcome=Failed");

    // The endpoint filter ignores case as Azure does; Enter in a field submits the form.
    await page.getByLabel("Outcome").selectOption("");
    await page.getByLabel("Endpoint").fill("EP-GATE");
    await page.getByLabel("Endpoint").press("Enter");
    await expect.poll(async () => (await page.locator("#list-body tr[data-instance] th").allTextContents())).toEqual(["ep-gate/green"]);

    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByLabel("Workspace").fill("ws-promptflow");
    await page.getByLabel("Workspace").press("Enter");
    await expect.poll(async () => (await ids()).length).toBe(4);
    await page.getByLabel("Workspace").fill("another-ws");
    await page.getByLabel("Workspace").press("Enter");
    await expect.poll(() => page.locator("#list-body").textContent()).toBe("No deployments match.");
    expect(await page.locator("#list-summary").textContent()).toContain("with workspace another-ws");

    // A filter the route refuses is shown as the route words it.
    await page.getByLabel("Workspace").fill("x");
    await page.getByLabel("Workspace").press("Enter");
    await expect.poll(() => page.locator("#list-problem").textContent()).toContain("workspace: expected a workspace name");
    expectedProblems(/status of 400/);
    await recordDom("the list, filtered");
  });
});
