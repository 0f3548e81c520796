import { describe, expect, it } from "vitest";
import { endpointPutBody } from "../../src/activities/endpointBody";
import { deploy } from "../support/localRun";
import { sampleRequest } from "../support/samples";

/**
 * Issue 13 item 7: a PUT replaces the endpoint, and `publicNetworkAccess` defaults to "Enabled"
 * (reference-yaml-endpoint-online). The simulator resets a field the PUT leaves out, as ARM does, so
 * a traffic PUT that forgot it would turn this private endpoint public.
 */
const privateBlue = { existing: [{ endpoint: "web-classify", publicNetworkAccess: "Disabled" as const, deployments: [{ name: "blue", traffic: 100 }] }] };

describe("the traffic PUT carries every field it read", () => {
  it("a private endpoint stays private after the traffic shift", async () => {
    const run = await deploy({ scenario: privateBlue });
    expect(run.notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    expect(run.counts["onlineEndpoints.createOrUpdate"]).toBe(1);
    expect(run.state.endpoints[0]).toMatchObject({ name: "web-classify", publicNetworkAccess: "Disabled", traffic: { blue: 0, green: 100 } });
  });

  it("a new endpoint is public (Azure's default) and stays so", async () => {
    const run = await deploy({ request: sampleRequest() });
    expect(run.state.endpoints[0]!.publicNetworkAccess).toBe("Enabled");
  });

  it("endpointPutBody keeps writable fields and drops what ARM computes", () => {
    const body = endpointPutBody(
      {
        location: "westeurope",
        kind: "Managed",
        tags: { a: "1" },
        sku: { name: "Default" },
        identity: { type: "UserAssigned", principalId: "p", tenantId: "t", userAssignedIdentities: { "/x/id": { principalId: "p2", clientId: "c2" } } },
        properties: {
          authMode: "Key",
          description: "d",
          properties: { k: "v" },
          publicNetworkAccess: "Disabled",
          compute: undefined,
          traffic: { blue: 100 },
          // read-only fields as GET returns them
          provisioningState: "Succeeded",
          scoringUri: "https://e",
          mirrorTraffic: { blue: 10 },
        } as never,
      },
      { blue: 0, green: 100 },
    );
    expect(body).toEqual({
      location: "westeurope",
      kind: "Managed",
      tags: { a: "1" },
      sku: { name: "Default" },
      identity: { type: "UserAssigned", userAssignedIdentities: { "/x/id": {} } },
      properties: { authMode: "Key", description: "d", properties: { k: "v" }, publicNetworkAccess: "Disabled", traffic: { blue: 0, green: 100 }, mirrorTraffic: { blue: 10 } },
    });
  });
});
