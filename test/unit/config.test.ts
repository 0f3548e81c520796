import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config";

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ deployQueueName: "deploy-requests", notificationTopicName: "deployment-notifications", serviceBus: undefined, allowedWorkspaces: [] });
  });

  it("prefers a connection string over the identity-based namespace setting, as the Functions host does", () => {
    expect(parseConfig({ ServiceBusConnection: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true", ServiceBusConnection__fullyQualifiedNamespace: "ns.servicebus.windows.net" }).serviceBus?.kind).toBe("connectionString");
    expect(parseConfig({ ServiceBusConnection__fullyQualifiedNamespace: "ns.servicebus.windows.net", ServiceBusConnection__clientId: "abc" }).serviceBus).toEqual({
      kind: "namespace",
      fullyQualifiedNamespace: "ns.servicebus.windows.net",
      clientId: "abc",
    });
  });

  it("splits the workspace allowlist and compares ids case-insensitively", () => {
    const c = parseConfig({ FLOWDEPLOY_ALLOWED_WORKSPACES: "/subscriptions/A/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/W1, /subscriptions/a/x;y" });
    expect(c.allowedWorkspaces).toEqual(["/subscriptions/a/resourcegroups/rg/providers/microsoft.machinelearningservices/workspaces/w1", "/subscriptions/a/x", "y"]);
  });

  it("names the bad setting", () => {
    expect(() => parseConfig({ FLOWDEPLOY_ARM_ENDPOINT: "http://127.0.0.1:1234" })).toThrow(ConfigError);
    expect(() => parseConfig({ FLOWDEPLOY_ARM_ENDPOINT: "http://127.0.0.1:1234" })).toThrow(/FLOWDEPLOY_ARM_ENDPOINT: must be an https:\/\/ URL/);
  });
});
