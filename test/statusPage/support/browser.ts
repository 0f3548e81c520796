import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/**
 * Debian's Chromium driven by playwright-core (which downloads no browser of its own): .ci/run
 * installs the `chromium` package when it is missing. In CI a missing browser fails the suite (the
 * launch throws); on a developer's machine without it the browser tests are skipped, saying why.
 */
export const CHROMIUM = "/usr/bin/chromium";

export const chromiumMissing = !existsSync(CHROMIUM) && !process.env["CI"];
if (chromiumMissing) console.warn(`status page browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium; CI installs it and never skips)`);

/**
 * Flags for a headless Chromium as root on a machine with no outside network: no sandbox (root),
 * no GPU, and none of the background connections (updates, sync, QUIC probes) that would be refused.
 */
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A fresh profile (user-data-dir) each time, removed on close. */
export async function openBrowser(viewport = { width: 1100, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "flowdeploy-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport, timeout: 60_000 });
    const page = context.pages()[0] ?? (await context.newPage());
    // Generous for a 2-core CI machine running the rest of the suite alongside.
    page.setDefaultTimeout(30_000);
    return {
      context,
      page,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
