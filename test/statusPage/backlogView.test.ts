import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { BROWSER_BACKLOG_VIEW } from "../../src/statusPage/browser/backlogView";
import { EXPECTED_ROWS, EXPECTED_SUMMARY } from "../inventory/support";

/**
 * The migration backlog's text, from the same script the page serves (run in Node, no DOM needed), on
 * the rows GET /api/inventory answers for the inventory scenario. test/statusPage/backlog.test.ts
 * checks the view in Chromium.
 */
const { backlogCells, backlogSummary } = runInNewContext(`${BROWSER_BACKLOG_VIEW}\n({ backlogCells, backlogSummary })`) as {
  backlogCells: (row: unknown) => Record<string, string>;
  backlogSummary: (body: unknown) => string;
};

describe("the backlog view's text", () => {
  it("a cell per column: traffic with the mirror, instances as count × type, the image or unknown, the evidence", () => {
    expect(backlogCells(EXPECTED_ROWS[0])).toEqual({
      workspace: "ws-promptflow",
      target: "support-chat/blue",
      traffic: "100%",
      instances: "2 \u00d7 Standard_DS4_v2",
      image: "mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest",
      evidence: "image mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest is a prompt flow runtime image; environment variable PROMPTFLOW_RUN_MODE is set",
      supportEnds: "2027-04-20",
      daysLeft: "148",
    });
    expect(backlogCells(EXPECTED_ROWS[2])).toMatchObject({ target: "legacy/flow", traffic: "0% (mirror 20%)", instances: "3 \u00d7 Standard_F4s_v2", evidence: "environment variable PROMPTFLOW_RUN_MODE is set" });
    expect(backlogCells({ ...EXPECTED_ROWS[3], image: null, instanceCount: null, instanceType: null })).toMatchObject({ image: "unknown", instances: "? \u00d7 ?" });
  });

  it("the summary counts the rows, the workspaces they are in and what else was read", () => {
    expect(backlogSummary({ rows: EXPECTED_ROWS, summary: EXPECTED_SUMMARY })).toBe("4 prompt flow deployments remain in 1 workspace. Also read: 2 agent deployments, 1 other deployment.");
    expect(backlogSummary({ rows: [], summary: { promptFlow: 0, agent: 1, other: 0, workspaces: 2 } })).toBe("No prompt flow deployment remains in the 2 workspaces read. Also read: 1 agent deployment, 0 other deployments.");
    expect(backlogSummary({ rows: [EXPECTED_ROWS[0]], summary: { ...EXPECTED_SUMMARY, promptFlow: 1, workspaces: 3 } })).toBe("1 prompt flow deployment remains in 1 workspace (of 3 read). Also read: 2 agent deployments, 1 other deployment.");
  });
});
