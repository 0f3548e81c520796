import { describe, expect, it } from "vitest";
import { logLine } from "../../src/domain/logLine";
import { instanceIdFor } from "../../src/domain/ids";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 18 item 4: every line the app writes about a deployment starts with its request, instance,
 * endpoint and stage. The local stack runs the app's own registrations; its log receives what the
 * triggers, the orchestrator and the activities write through their InvocationContext, prefixed by
 * the host (`<trigger>: ` for a trigger, `instance=<id> <function>: ` for the runner's functions).
 */
const FIELDS = /^request=(\S+) instance=(\S+) endpoint=(\S+) stage=(\S+) \S/;

function appLines(lines: string[]): string[] {
  return lines.map((l) => l.replace(/^instance=\S+ \S+: /, "").replace(/^\w+: /, ""));
}

describe("structured log lines", () => {
  it("logLine puts the four fields first, - where unknown, escaped and without spaces", () => {
    expect(logLine({ requestId: "r-1", instanceId: "deploy-1", endpoint: "web", stage: "roles" }, "granted")).toBe("request=r-1 instance=deploy-1 endpoint=web stage=roles granted");
    expect(logLine({}, "x")).toBe("request=- instance=- endpoint=- stage=- x");
    expect(logLine({ requestId: "a b\nrequest=forged" }, "x")).toBe("request=a_b\\u000arequest=forged instance=- endpoint=- stage=- x");
    // A multi-line message (an Azure error's text) stays on its line.
    expect(logLine({}, "failed:\r\nrequest=forged")).toBe("request=- instance=- endpoint=- stage=- failed:\\u000d\\u000arequest=forged");
  });

  it("a deployment that fails and is cleaned up, and a rejected request: every line the app wrote names them", async () => {
    const lines: string[] = [];
    const request = sampleRequest();
    request.requestId = "logged-failure-1";
    const run = await deploy({ request, scenario: { faults: [{ op: "onlineDeployments.createOrUpdate", provisioningError: "ImagePullFailure" }] } as never, log: (l) => lines.push(l) });
    expect(run.notification.outcome).toBe("Failed");
    const bad = sampleRequest();
    bad.requestId = "logged-bad-1";
    bad.deployment.instanceCount = 0;
    const rejected = await deploy({ request: bad, log: (l) => lines.push(l) });
    expect(rejected.notification.outcome).toBe("Rejected");

    const app = appLines(lines);
    expect(app.length).toBeGreaterThan(3);
    for (const line of app) expect(line, line).toMatch(FIELDS);
    const instance = instanceIdFor("logged-failure-1");
    // The intake, an activity (the retiring image warning) and the rejection (an invalid body: only its id is known).
    expect(app).toContainEqual(`request=logged-failure-1 instance=${instance} endpoint=web-classify stage=intake started`);
    expect(app.some((l) => l.startsWith(`request=logged-failure-1 instance=${instance} endpoint=web-classify stage=deployment This deployment runs a prompt flow runtime image`))).toBe(true);
    expect(app.some((l) => l.startsWith("request=logged-bad-1 instance=- endpoint=- stage=intake rejected ") && l.includes("(InvalidRequest): deployment.instanceCount"))).toBe(true);
  });
});
