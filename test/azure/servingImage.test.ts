import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { DEFAULT_SERVING_IMAGE, isPinned, PROMPT_FLOW_RETIREMENT_DATE, retiringImageWarning } from "../../src/domain/promptFlowRuntime";
import { settingsWarnings } from "../../src/intake/policy";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 13 item 10: the serving image is configurable and should be pinned by digest; a deployment on
 * a prompt flow runtime image (no more security updates, retiring 2027-04-20) says so in its log,
 * custom status and notification.
 */
const DIGEST = "a".repeat(64);
const PINNED_RUNTIME = `mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${DIGEST}`;
const OWN_IMAGE = `contoso.azurecr.io/flows/serving@sha256:${DIGEST}`;

describe("the serving image", () => {
  it("a deployment on the prompt flow runtime image warns with the retirement date, in the notification and custom status", async () => {
    const run = await deploy();
    expect(run.notification.outcome).toBe("Succeeded");
    expect(run.notification.warnings).toHaveLength(1);
    expect(run.notification.warnings![0]).toContain(PROMPT_FLOW_RETIREMENT_DATE);
    expect(run.notification.warnings![0]).toContain("no more security or package updates");
    const status = run.instances.find((i) => i.name === "deployFlow")?.exec.customStatusJson;
    expect(JSON.parse(status ?? "{}").warnings).toEqual(run.notification.warnings);
  });

  it("FLOWDEPLOY_SERVING_IMAGE pins the image the environment registers; another image brings no warning", async () => {
    const pinned = await deploy({ servingImage: PINNED_RUNTIME });
    expect(pinned.notification.warnings![0]).toContain("promptflow-runtime@sha256:aaaaaaaaaaaa…");
    const own = await deploy({ servingImage: OWN_IMAGE });
    expect(own.notification.outcome).toBe("Succeeded");
    expect(own.notification.warnings).toBeUndefined();
  });

  it("an environment named by the request is judged by its own image", async () => {
    const request = sampleRequest();
    request.deployment.environment = "azureml:flow-env:1";
    const custom = await deploy({ request, scenario: { environments: [{ name: "flow-env", version: "1", image: OWN_IMAGE }] } });
    expect(custom.notification.warnings).toBeUndefined();
    const runtime = await deploy({ request, scenario: { environments: [{ name: "flow-env", version: "1", image: PINNED_RUNTIME }] } });
    expect(runtime.notification.warnings?.[0]).toContain(PROMPT_FLOW_RETIREMENT_DATE);
  });

  it("the Function App warns at start-up while the image is unpinned, and refuses a malformed reference naming the setting", () => {
    expect(isPinned(DEFAULT_SERVING_IMAGE)).toBe(false);
    const unpinned = settingsWarnings(parseConfig({}));
    expect(unpinned.some((w) => w.startsWith("FLOWDEPLOY_SERVING_IMAGE:") && w.includes("not pinned by digest"))).toBe(true);
    expect(settingsWarnings(parseConfig({ FLOWDEPLOY_SERVING_IMAGE: PINNED_RUNTIME })).some((w) => w.startsWith("FLOWDEPLOY_SERVING_IMAGE"))).toBe(false);
    expect(() => parseConfig({ FLOWDEPLOY_SERVING_IMAGE: "not an image; rm -rf" })).toThrow(/FLOWDEPLOY_SERVING_IMAGE: must be an image reference/);
  });

  it("recognises the three retiring images, by tag or digest, and nothing else", () => {
    for (const image of ["mcr.microsoft.com/azureml/promptflow/promptflow-runtime:latest", "mcr.microsoft.com/azureml/promptflow/promptflow-runtime-stable:20251211.v2", `mcr.microsoft.com/azureml/promptflow/promptflow-python@sha256:${DIGEST}`]) {
      expect(retiringImageWarning(image), image).toContain(PROMPT_FLOW_RETIREMENT_DATE);
    }
    for (const image of [OWN_IMAGE, "mcr.microsoft.com/azureml/promptflow/promptflow-runtime-extended:1", null]) expect(retiringImageWarning(image)).toBeNull();
  });
});
