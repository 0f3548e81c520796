import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/samples";
import { chromiumMissing, openBrowser, type Browser } from "./support/browser";
import { startService, type Service } from "./support/service";

/**
 * The screenshots in README.md and docs/status-page.md, taken from a real run: four deployments
 * through `flowdeploy serve` (one succeeds, one fails pulling its image, one is cancelled, and a
 * canary behind an approval is half-way through its steps on an endpoint with live traffic), then
 * the list and the canary's page in Chromium.
 *
 * Every run takes them and checks what they show; only `FLOWDEPLOY_SCREENSHOTS=1` writes them to
 * docs/images/ (CI never changes the working tree):
 *   FLOWDEPLOY_SCREENSHOTS=1 npx vitest run test/statusPage/screenshots.test.ts
 */
const write = process.env["FLOWDEPLOY_SCREENSHOTS"] === "1";
const outDir = write ? join(repoRoot, "docs", "images") : mkdtempSync(join(tmpdir(), "flowdeploy-screenshots-"));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let app: Service;
let browser: Browser;
let canaryId: string;

beforeAll(async () => {
  if (chromiumMissing) return;
  app = await startService({
    // blue is live; the endpoint's identity has no grant yet, so this run grants it and waits the
    // 16 minutes from the grant, longer than the deployment's 12.
    existing: [{ endpoint: "web-classify", grantConnectionSecretsReader: false, deployments: [{ name: "blue", traffic: 100 }] }],
    load: { requestsPerMinute: 60 },
    faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure", endpoint: "web-classify-eu" }],
  });
  await app.start("chat-summarize-2026-11-23-007", (r) => (r.endpoint.name = "chat-summarize"));
  await app.advance(1);
  await app.start("web-classification-eu-2026-11-23-002", (r) => (r.endpoint.name = "web-classify-eu"));
  await app.advance(1);
  const cancelled = await app.start("web-classification-test-2026-11-23-003", (r) => (r.endpoint.name = "web-classify-test"));
  await app.advance(1);
  canaryId = await app.start("web-classification-2026-11-23-004", (r) => {
    r.rollout = {
      strategy: "canary",
      onFailure: "delete",
      steps: [
        { percent: 10, bakeMinutes: 10 },
        { percent: 25, bakeMinutes: 10 },
        { percent: 50, bakeMinutes: 10 },
      ],
      analysis: { maxErrorRatePercent: 5, maxP95LatencyMs: 1000, minRequests: 20 },
      approval: { required: true, timeoutMinutes: 120, approvers: ["ml-leads@contoso.com"] },
    };
  });
  await app.advance(3);
  await post(`/api/deployments/${cancelled}/cancel`, { reason: "wrong flow version" });
  // The canary reaches its approval wait once the propagation wait (16 simulated minutes) is over; approved a little later.
  await app.advance(20);
  await post(`/api/deployments/${canaryId}/approve`, { reason: "smoke test answers reviewed" });
  // Step 1 (10%) baked and judged; step 2 (25%) baking.
  await app.advance(20);
  browser = await openBrowser({ width: 1100, height: 560 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (!write) rmSync(outDir, { recursive: true, force: true });
});

async function post(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${app.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
}

function expectPng(file: string, width: number): void {
  const png = readFileSync(file);
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  // The IHDR chunk: width then height, big-endian, at bytes 16 and 20.
  expect(png.readUInt32BE(16)).toBe(width);
  expect(png.length).toBeGreaterThan(20_000);
}

describe.skipIf(chromiumMissing)("screenshots of the status page, from a real run", () => {
  it("the list: newest first, every outcome", async () => {
    const { page } = browser;
    await page.goto(app.url);
    const outcomes = () => page.locator("#list-body tr[data-outcome]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-outcome")));
    await expect.poll(outcomes, { timeout: 30_000 }).toEqual(["Running", "Cancelled", "Failed", "Succeeded"]);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, "status-list.png");
    await page.screenshot({ path: file });
    expectPng(file, 1100);
  });

  it("a canary behind an approval, half-way: the timeline with the overlapping propagation wait, the bake under way, the last analysis", async () => {
    const { page } = browser;
    await page.goto(`${app.url}/api/status#/deployments/${canaryId}`);
    await page.locator('#d-timeline g.row[data-kind="bake"] rect.pending').waitFor();
    const rollout = await page.locator("#d-rollout-list").textContent();
    expect(rollout).toContain("approved by function key: smoke test answers reviewed");
    expect(rollout).toContain("step 2 of 3: 25% live");
    expect(rollout).toMatch(/Last analysis\s*healthy: \d+ requests/);
    const stages = await page.locator("#d-timeline g.row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-stage")));
    expect(stages).toEqual(expect.arrayContaining(["deployment", "propagation", "smokeTest", "approval", "traffic", "analysis", "bake"]));
    // The propagation wait, from the grant to its deadline, spans the deployment it overlaps (a ready
    // deployment is looked at only every 8 minutes until the deadline, so both end there).
    const bar = (stage: string) => page.locator(`#d-timeline rect.bar[data-stage="${stage}"]`).evaluate((r) => [Number(r.getAttribute("x")), Number(r.getAttribute("x")) + Number(r.getAttribute("width"))]);
    const [propagation, deployment] = [await bar("propagation"), await bar("deployment")];
    expect(propagation[0]!).toBeLessThanOrEqual(deployment[0]!);
    expect(propagation[1]!).toBeGreaterThanOrEqual(deployment[1]!);
    expect(await page.locator("#d-timeline line.marker.m-deadline").count()).toBe(1);
    const file = join(outDir, "status-deployment.png");
    await page.screenshot({ path: file, fullPage: true });
    expectPng(file, 1100);
  });
});
