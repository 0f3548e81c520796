import { z } from "zod";
import { DeployRequest } from "./deployRequest";
import { BulkTestPassedData, BULK_TEST_PASSED } from "./events";
import { DeploymentNotification } from "./notification";

export const MESSAGE_KINDS = ["request", "event", "notification"] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

const SCHEMA_BASE_ID = "https://flowdeploy.dev/schemas/v1";

/**
 * The JSON Schema of each message contract, for clients in other languages. Generated from the zod
 * schemas (`z.toJSONSchema`, input side: what a producer writes, defaults optional). Cross-field rules
 * (exactly one of flow/model, thresholds met) live in code and are described in `description`.
 */
export function messageJsonSchemas(): Record<MessageKind, Record<string, unknown>> {
  return {
    request: withMeta(DeployRequest, "deploy-request", "DeployRequest", "A deploy request (Service Bus queue message or HTTP starter body). Give exactly one of `flow` or `model`; chat flows need chatInput and chatOutput."),
    event: withMeta(BulkTestPassedData, "bulk-test-passed", "BulkTestPassed", `The data of a ${BULK_TEST_PASSED} event (Event Grid schema or CloudEvents 1.0). When thresholds are given, every named metric must be present and meet its bound.`),
    notification: withMeta(DeploymentNotification, "deployment-notification", "DeploymentNotification", "The outcome of a deployment, published on the notifications topic. Never carries a key or token."),
  };
}

function withMeta(schema: z.ZodType, id: string, title: string, description: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  const { $schema, ...rest } = json;
  return { $schema, $id: `${SCHEMA_BASE_ID}/${id}.schema.json`, title, description, ...rest };
}
