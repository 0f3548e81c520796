import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertArmOrigin } from "../../src/activities/arm";
import { assertTrustedScoringUri, classify, scrub } from "../../src/activities/smokeTest";
import { parseConfig } from "../../src/config";
import { logText } from "../../src/domain/logText";
import { admitEvent } from "../../src/intake/intake";
import { intakePolicyFrom, LOCAL_INTAKE_POLICY, localIntakePolicy, settingsWarnings } from "../../src/intake/policy";
import { serve, type RunningService } from "../../src/local/serve";
import { deploy } from "../support/localRun";

/** Rows W1, U1-U3, L1, S1 of docs/security.md. */
describe("W1: '*' is a local convenience, never a production setting", () => {
  it("the Function App drops '*' from every allow-list (it then allows nothing) and warns about it and about non-ids", async () => {
    const config = parseConfig({
      FLOWDEPLOY_ALLOWED_WORKSPACES: "*, not-a-workspace-id",
      FLOWDEPLOY_ALLOWED_IDENTITIES: "*",
      FLOWDEPLOY_ALLOWED_EVENT_SOURCES: "*",
      FLOWDEPLOY_EXTRA_ROLE_SCOPES: "*",
      FLOWDEPLOY_SERVING_IMAGE: `mcr.microsoft.com/azureml/promptflow/promptflow-runtime@sha256:${"0".repeat(64)}`,
    });
    const policy = intakePolicyFrom(config);
    expect(policy.allowedWorkspaces).toEqual(["not-a-workspace-id"]);
    expect(policy.allowedIdentities).toEqual([]);
    expect(policy.allowedEventSources).toEqual([]);
    expect(policy.extraRoleScopes).toEqual([]);
    expect(settingsWarnings(config)).toEqual([
      expect.stringContaining("FLOWDEPLOY_ALLOWED_WORKSPACES: '*' is honoured only by the local stand-ins"),
      expect.stringContaining("FLOWDEPLOY_ALLOWED_WORKSPACES: 'not-a-workspace-id' is not a workspace resource id"),
      expect.stringContaining("FLOWDEPLOY_ALLOWED_IDENTITIES: '*' is honoured only by the local stand-ins"),
      expect.stringContaining("FLOWDEPLOY_EXTRA_ROLE_SCOPES: '*' is honoured only by the local stand-ins"),
      expect.stringContaining("FLOWDEPLOY_GATES is not set"),
    ]);
    const run = await deploy({ policy });
    expect(run.notification).toMatchObject({ outcome: "Rejected", error: { code: "WorkspaceNotAllowed" } });
    // The local stand-ins keep honouring it.
    expect(localIntakePolicy({ FLOWDEPLOY_ALLOWED_WORKSPACES: "*" }).allowedWorkspaces).toEqual(["*"]);
  });
});

describe("U1-U3: credentials follow only trusted URLs, and answers are scrubbed", () => {
  it("U1: the ARM token goes only to the ARM endpoint's origin", () => {
    expect(() => assertArmOrigin("https://management.azure.com", "https://management.azure.com/subscriptions/x/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/op?api-version=2022-10-01")).not.toThrow();
    for (const url of ["https://attacker.example/op", "http://management.azure.com/op", "https://management.azure.com.attacker.example/op", "not a url"]) {
      expect(() => assertArmOrigin("https://management.azure.com", url), url).toThrow(/not on the ARM endpoint/);
    }
  });

  it("U2: the endpoint key goes only to https on an allowed inference host", () => {
    const suffixes = ["inference.ml.azure.com"];
    expect(() => assertTrustedScoringUri("https://web-classify.eastus.inference.ml.azure.com/score", suffixes)).not.toThrow();
    for (const uri of ["http://web-classify.eastus.inference.ml.azure.com/score", "https://attacker.example/score", "https://inference.ml.azure.com.attacker.example/score", "https://xinference.ml.azure.com/score"]) {
      expect(() => assertTrustedScoringUri(uri, suffixes), uri).toThrow(/no key was sent/);
    }
  });

  it("U3: a smoke-test reason is a classification plus a short excerpt without the key, its base64, or token-shaped strings", () => {
    const key = "k3yV4lue0123456789abcdefghijklmnopqrstuv";
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    const body = { error: { code: "Unauthorized", message: `bad key ${Buffer.from(key).toString("base64")} / Bearer ${jwt} and more text after it that goes on and on and on and on and on` } };
    const result = classify({ status: 401, headers: {}, body }, []);
    const reason = scrub(result.reason, key);
    expect(result.outcome).toBe("notYetAuthorized");
    expect(reason.startsWith("HTTP 401: Unauthorized")).toBe(true);
    expect(reason).not.toContain(Buffer.from(key).toString("base64"));
    expect(reason).not.toContain(jwt.slice(0, 20));
    expect(reason.length).toBeLessThanOrEqual("HTTP 401: ".length + 81);
    expect(scrub(`echo ${key}`, key)).toBe("echo ***");
  });
});

describe("L1: message fields are escaped before they reach a log line", () => {
  it("CR/LF, ANSI escapes and bidi overrides become visible escapes", () => {
    expect(logText("evt-1\r\n2026-01-01 INFO forged line")).toBe("evt-1\\u000d\\u000a2026-01-01 INFO forged line");
    expect(logText("\u001b[31mred")).toBe("\\u001b[31mred");
    expect(logText("run\u202Egnp.exe")).toBe("run\\u202egnp.exe");
    expect(logText("a\\u000d")).toBe("a\\\\u000d");
    expect(logText("x".repeat(500))).toHaveLength(201);
  });

  it("through the Event Grid intake: a forged id, type and run id cannot start a new log line", async () => {
    const lines: string[] = [];
    const deps = { client: { getStatus: async () => ({}) as never, startNew: async () => "" }, policy: LOCAL_INTAKE_POLICY, publishRejected: async () => undefined, clock: { now: () => new Date() }, log: (m: string) => void lines.push(m) };
    await admitEvent({ specversion: "1.0", id: "e\r\n[INFO] deployment approved", source: "/x", type: "Microsoft.MachineLearningServices.RunStatusChanged\u001b[2J", data: {} }, deps);
    await admitEvent({ specversion: "1.0", id: "e2\u2028x", source: "/x", type: "Evil\nType", data: {} }, deps);
    expect(lines).toHaveLength(2);
    // eslint-disable-next-line no-control-regex -- the control characters are what must be absent
    for (const line of lines) expect(line).not.toMatch(/[\r\n\u001b\u2028]/);
    expect(lines[0]).toContain("\\u000d\\u000a[INFO] deployment approved");
  });
});

describe("S1: flowdeploy serve refuses what a browser page or a rebinding name could make it do", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await serve({ port: 0, timeScale: 60 });
  });
  afterAll(async () => service.close());

  /** A raw request, so Host and Origin can be set as an attacker's page would cause them to be. */
  const send = (method: string, path: string, headers: Record<string, string>, body = ""): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> =>
    new Promise((resolve, reject) => {
      const url = new URL(service.url);
      const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on("error", reject);
      req.end(body);
    });

  it("a Host other than loopback (DNS rebinding) is refused", async () => {
    expect((await send("GET", "/api/deployments/deploy-1", { host: "attacker.example:7071" })).status).toBe(421);
  });

  it("a cross-site Origin is refused; a non-JSON body is refused", async () => {
    const host = new URL(service.url).host;
    expect((await send("POST", "/api/deployments", { host, origin: "https://attacker.example", "content-type": "application/json" }, "{}")).status).toBe(403);
    expect((await send("POST", "/api/deployments", { host, "content-type": "text/plain" }, "{}")).status).toBe(415);
  });

  it("answers the validation handshake only for Event Grid's validation event, and the CloudEvents OPTIONS handshake", async () => {
    const host = new URL(service.url).host;
    const path = "/runtime/webhooks/eventgrid?functionName=bulkTestEvents";
    const fake = JSON.stringify([{ id: "1", eventType: "PromptFlow.BulkTestPassed", subject: "x", eventTime: "2026-01-01T00:00:00Z", data: { validationCode: "abc" } }]);
    expect((await send("POST", path, { host, "content-type": "application/json", "aeg-event-type": "SubscriptionValidation" }, fake)).status).toBe(400);
    const real = JSON.stringify([{ id: "1", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent", subject: "", eventTime: "2026-01-01T00:00:00Z", data: { validationCode: "abc" } }]);
    expect((await send("POST", path, { host, "content-type": "application/json", "aeg-event-type": "SubscriptionValidation" }, real)).status).toBe(200);
    const options = await send("OPTIONS", path, { host, "webhook-request-origin": "eventgrid.azure.net" });
    expect(options.status).toBe(200);
    expect(options.headers["webhook-allowed-origin"]).toBe("eventgrid.azure.net");
    expect((await send("OPTIONS", path, { host })).status).toBe(400);
  });
});
