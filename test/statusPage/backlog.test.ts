import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, openBrowser, type Browser } from "./support/browser";
import { startService, type Service } from "./support/service";
import { inventoryScenario, WS_ID } from "../inventory/support";

/**
 * The status page's migration backlog (`#/backlog`) in Chromium against `flowdeploy serve` with the
 * inventory scenario on 2026-11-23: the table with its caption and headers, rows most traffic first,
 * the key sent as x-functions-key to GET /api/inventory and written nowhere in the page.
 */
const KEY = randomBytes(30).toString("base64url");
let app: Service;
let browser: Browser;
let page: Page;
const inventoryCalls: Array<{ key: string | undefined }> = [];
const problems: string[] = [];

beforeAll(async () => {
  if (chromiumMissing) return;
  app = await startService(inventoryScenario());
  browser = await openBrowser();
  page = browser.page;
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/inventory") inventoryCalls.push({ key: r.headers()["x-functions-key"] });
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
}, 90_000);

afterAll(async () => {
  if (chromiumMissing) return;
  await browser?.close();
  await app?.close();
});

const inPage = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

describe.skipIf(chromiumMissing)("the migration backlog in Chromium", () => {
  it("lists the prompt flow deployments in a captioned table, most traffic first, reached from the header's link", async () => {
    await page.goto(`${app.url}/api/status?code=${KEY}#/`);
    await page.getByRole("link", { name: "Migration backlog" }).click();
    await page.locator("#backlog-body tr[data-target]").first().waitFor();
    expect(await page.title()).toBe("Migration backlog \u2014 flowdeploy");
    expect(await inPage<string | undefined>("document.activeElement && document.activeElement.id")).toBe("backlog-title");
    expect(await page.locator("#backlog-table caption").textContent()).toBe("Prompt flow deployments to migrate, most live traffic first");
    expect(await page.locator("#backlog-table thead th").allTextContents()).toEqual(["Workspace", "Endpoint/deployment", "Traffic", "Instances", "Image", "Why prompt flow", "Support ends", "Days left"]);
    const rows = await inPage<string[][]>(`[...document.querySelectorAll("#backlog-body tr")].map((tr) => [...tr.children].map((c) => c.textContent))`);
    const runtime = "mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest";
    const both = `image ${runtime} is a prompt flow runtime image; environment variable PROMPTFLOW_RUN_MODE is set`;
    expect(rows).toEqual([
      ["ws-promptflow", "support-chat/blue", "100%", "2 \u00d7 Standard_DS4_v2", runtime, both, "2027-04-20", "148"],
      ["ws-promptflow", "web-classify/blue", "100%", "1 \u00d7 Standard_DS3_v2", runtime, both, "2027-04-20", "148"],
      ["ws-promptflow", "legacy/flow", "0% (mirror 20%)", "3 \u00d7 Standard_F4s_v2", "contoso.azurecr.io/flows/legacy:7", "environment variable PROMPTFLOW_RUN_MODE is set", "2027-04-20", "148"],
      ["ws-promptflow", "web-classify/green", "0%", "1 \u00d7 Standard_DS3_v2", runtime, both, "2027-04-20", "148"],
    ]);
    // Each row is headed by its endpoint/deployment, for screen readers moving along a row.
    expect(await page.locator("#backlog-body tr th[scope=row]").count()).toBe(4);
    expect(await page.locator("#backlog-summary").textContent()).toBe("4 prompt flow deployments remain in 1 workspace. Also read: 2 agent deployments, 1 other deployment. Read 2026-11-23 10:00:00 UTC.");
    expect(await page.locator("#backlog-errors-wrap").isHidden()).toBe(true);
    expect(await page.locator("#list-view").isHidden()).toBe(true);

    // The key went as the header, once per read, and is nowhere in the page.
    expect(inventoryCalls).toEqual([{ key: KEY }]);
    const html = await inPage<string>("document.documentElement.outerHTML + document.body.innerText");
    expect(html).not.toContain(KEY.slice(0, 20));
    expect(html).not.toContain(WS_ID.replace("ws-promptflow", "")); // ids only in the errors list, which is empty

    await page.getByRole("button", { name: "Read again" }).click();
    await expect.poll(() => inventoryCalls.length, { timeout: 30_000 }).toBe(2);
    await page.getByRole("link", { name: "Deployments", exact: true }).click();
    await page.locator("#list-view").waitFor();
    expect(await page.locator("#backlog-view").isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });
});
