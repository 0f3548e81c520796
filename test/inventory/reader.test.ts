import { afterEach, describe, expect, it } from "vitest";
import { parseWorkspaceId, type WorkspaceTarget } from "../../src/inventory/model";
import { limiter, readInventory } from "../../src/inventory/reader";
import { startActivityHarness, type ActivityHarness } from "../support/activityHarness";
import { EXPECTED_ROWS, EXPECTED_SUMMARY, inventoryScenario, OTHER_WS_ID, WS_ID } from "./support";

/**
 * The reader through the real @azure/arm-machinelearning clients (the activities' own, built by
 * createActivityDeps) against the simulator over HTTPS, on a virtual clock at 2026-11-23 10:00 UTC.
 */
let h: ActivityHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ws = (id: string): WorkspaceTarget => parseWorkspaceId(id)!;

describe("readInventory against the simulator", () => {
  it("lists the prompt flow deployments, most traffic first, with their shares, instances, image and evidence; agents and custom images are only counted", async () => {
    h = await startActivityHarness(inventoryScenario());
    const inventory = await readInventory(h.deps, [ws(WS_ID)]);
    expect(inventory).toEqual({ generatedAt: "2026-11-23T10:00:00.000Z", supportEnds: "2027-04-20", rows: EXPECTED_ROWS, summary: EXPECTED_SUMMARY, errors: [] });
    // Reads only, and each environment version once.
    const operations = Object.keys(h.sim.requestCounts());
    expect(operations.filter((op) => !/\.(list|get)$/.test(op))).toEqual([]);
    expect(h.sim.requestCounts()).toMatchObject({ "onlineEndpoints.list": 1, "onlineEndpoints.get": 5, "onlineDeployments.list": 5, "environmentVersions.get": 7 });
  });

  it("reports a workspace that cannot be read in errors, with a code and a message of its own, and still reads the others", async () => {
    h = await startActivityHarness(inventoryScenario());
    // Every workspace exists in the simulator: the missing one is Azure's answer for it, once, to the first list (one call at a time, in order).
    h.sim.injectFault({ op: "onlineEndpoints.list", status: 404, code: "ResourceNotFound", message: "secret-looking text 0000 that must not be passed on", times: 1 });
    const inventory = await readInventory(h.deps, [ws(OTHER_WS_ID), ws(WS_ID)], { concurrency: 1 });
    expect(inventory.errors).toEqual([
      { workspace: { name: "ws-other", id: OTHER_WS_ID }, code: "ResourceNotFound", message: "not found (HTTP 404): the workspace does not exist, or the app cannot see it" },
    ]);
    expect(inventory.rows).toEqual(EXPECTED_ROWS);
    expect(inventory.summary).toEqual(EXPECTED_SUMMARY);
    expect(JSON.stringify(inventory)).not.toContain("secret-looking");
  });

  it("says what permission is missing when listing is refused, and reads an endpoint's deployments failing as an error of that endpoint", async () => {
    h = await startActivityHarness(inventoryScenario());
    h.sim.injectFault({ op: "onlineEndpoints.list", status: 403, code: "AuthorizationFailed", times: 1 });
    const refused = await readInventory(h.deps, [ws(WS_ID)]);
    expect(refused).toMatchObject({ rows: [], summary: { promptFlow: 0, agent: 0, other: 0, workspaces: 0 } });
    expect(refused.errors).toEqual([
      {
        workspace: { name: "ws-promptflow", id: WS_ID },
        code: "AuthorizationFailed",
        message: "refused (HTTP 403): the app's identity may not read its online endpoints; it needs Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read and .../onlineEndpoints/deployments/read on the workspace (docs/inventory.md)",
      },
    ]);

    h.sim.injectFault({ op: "onlineDeployments.list", status: 403, code: "AuthorizationFailed", endpoint: "support-chat", times: -1 });
    const partial = await readInventory(h.deps, [ws(WS_ID)]);
    expect(partial.rows.map((r) => `${r.endpoint}/${r.deployment}`)).toEqual(["web-classify/blue", "legacy/flow", "web-classify/green"]);
    expect(partial.summary).toEqual({ promptFlow: 3, agent: 2, other: 1, workspaces: 1 });
    expect(partial.errors).toEqual([{ workspace: { name: "ws-promptflow", id: WS_ID }, endpoint: "support-chat", code: "AuthorizationFailed", message: expect.stringMatching(/^refused \(HTTP 403\): the app's identity may not read its deployments;/) }]);
  });

  it("reads a workspace named twice once, and an empty workspace as read with nothing in it", async () => {
    h = await startActivityHarness(inventoryScenario());
    const inventory = await readInventory(h.deps, [ws(WS_ID), ws(WS_ID.toLowerCase()), ws(OTHER_WS_ID)]);
    expect(inventory.summary).toEqual({ ...EXPECTED_SUMMARY, workspaces: 2 });
    expect(inventory.rows).toHaveLength(4);
  });
});

describe("the limiter", () => {
  it("runs at most N calls at once, the others in order", async () => {
    const limit = limiter(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        limit(async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 5));
          order.push(n);
          running -= 1;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(() => limiter(0)).toThrow(/at least 1/);
  });
});
