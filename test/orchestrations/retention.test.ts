import { describe, expect, it } from "vitest";
import { deploymentsBeyondRetention } from "../../src/domain/retention";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/** rollout.keepPrevious (issue 17 item 4): after success, flowdeploy's idle deployments beyond the newest N go. */
describe("retention", () => {
  it("keeps the newest N idle deployments flowdeploy made; never one with traffic or a mirror, never someone else's", () => {
    const d = (name: string, createdAt: string | null, extra: Partial<{ managed: boolean; traffic: number; mirror: number }> = {}) => ({ name, createdAt, managed: true, traffic: 0, mirror: 0, ...extra });
    const list = [
      d("green", "2026-11-23T10:00:00Z", { traffic: 100 }),
      d("blue", "2026-11-20T10:00:00Z"),
      d("fd-1", "2026-11-10T10:00:00Z"),
      d("fd-2", "2026-11-01T10:00:00Z"),
      d("theirs", "2026-10-01T10:00:00Z", { managed: false }),
      d("mirrored", "2026-09-01T10:00:00Z", { mirror: 10 }),
      d("ageless", null),
    ];
    expect(deploymentsBeyondRetention(list, 1, "green")).toEqual(["fd-1", "fd-2"]);
    expect(deploymentsBeyondRetention(list, 0, "green")).toEqual(["blue", "fd-1", "fd-2"]);
    expect(deploymentsBeyondRetention(list, 5, "green")).toEqual([]);
  });

  it("through the whole stack: after the rollout, the idle managed deployments beyond keepPrevious are deleted", async () => {
    const request = sampleRequest();
    request.deployment.name = "green";
    request.rollout = { strategy: "blueGreen", onFailure: "delete", keepPrevious: 1 };
    const run = await deploy({
      request,
      scenario: {
        existing: [
          {
            endpoint: "web-classify",
            deployments: [{ name: "blue", traffic: 100 }, { name: "fd-old1", traffic: 0 }, { name: "fd-old2", traffic: 0 }, { name: "theirs", traffic: 0, managed: false }],
          },
        ],
      },
    });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    // blue (0% now), fd-old1, fd-old2 were idle and flowdeploy's, all of the same age: the first by name stays.
    expect([...(run.notification.deletedDeployments ?? [])].sort()).toEqual(["fd-old1", "fd-old2"]);
    // Their deletes were started (an ARM long-running operation); nothing else was touched.
    const deployments = run.state.endpoints.find((e) => e.name === "web-classify")!.deployments;
    const kept = deployments.filter((x) => x.provisioningState !== "Deleting").map((x) => x.name).sort();
    expect(kept).toEqual(["blue", "green", "theirs"]);
    expect(run.requests.filter((r) => r.method === "DELETE").map((r) => decodeURIComponent(r.path.split("/").pop()!.split("?")[0]!)).sort()).toEqual(["fd-old1", "fd-old2"]);
  });
});
