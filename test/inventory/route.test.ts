import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serve, type RunningService } from "../../src/local/serve";
import { EXPECTED_ROWS, EXPECTED_SUMMARY, inventoryScenario, OTHER_WS_ID, T0, WS_ID } from "./support";

/**
 * GET /api/inventory through `flowdeploy serve` (the wiring table's route, the app's handler, the
 * simulator behind the real SDK) with an explicit allow-list, as the Function App has one:
 * FLOWDEPLOY_ALLOWED_WORKSPACES = the scenario's workspace. (The services are per process: one
 * serve per test file.)
 */
let service: RunningService;
beforeAll(async () => {
  service = await serve({ port: 0, startAt: T0, scenario: inventoryScenario(), policy: { allowedWorkspaces: [WS_ID.toLowerCase()] } });
});
afterAll(async () => service?.close());

const get = async (query: string) => {
  const res = await fetch(`${service.url}/api/inventory${query}`, { headers: { accept: "application/json" } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("GET /api/inventory", () => {
  it("without a workspace reads every workspace of the allow-list", async () => {
    expect(await get("")).toEqual({ status: 200, body: { generatedAt: T0.toISOString(), supportEnds: "2027-04-20", rows: EXPECTED_ROWS, summary: EXPECTED_SUMMARY, errors: [] } });
  });

  it("reads a workspace of the allow-list named as ARM spells it (ids compare ignoring case); `code` is accepted and not echoed", async () => {
    const named = await get(`?workspace=${encodeURIComponent(WS_ID)}&code=not-echoed-key`);
    expect(named.status).toBe(200);
    expect(named.body["rows"]).toEqual(EXPECTED_ROWS);
    expect(JSON.stringify(named.body)).not.toContain("not-echoed-key");
  });

  it("refuses a workspace outside the allow-list (403 naming the parameter) and an id that is not a workspace's (400)", async () => {
    expect(await get(`?workspace=${encodeURIComponent(WS_ID)}&workspace=${encodeURIComponent(OTHER_WS_ID)}`)).toEqual({
      status: 403,
      body: { errors: [`workspace: ${OTHER_WS_ID} is not in the app's FLOWDEPLOY_ALLOWED_WORKSPACES`] },
    });
    expect(await get("?workspace=ws-promptflow")).toEqual({
      status: 400,
      body: { errors: ["workspace: expected an Azure ML workspace resource id (/subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<name>), got 'ws-promptflow'"] },
    });
    expect(await get("?endpoint=web-classify")).toEqual({ status: 400, body: { errors: ["endpoint: unknown parameter (expected workspace)"] } });
  });
});
