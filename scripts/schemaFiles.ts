import { messageJsonSchemas } from "../src/contracts";
import { scenarioJsonSchema } from "../src/local/simulator";

/** Every committed JSON Schema under schemas/, with the schema it must hold. */
export function schemaFiles(): { file: string; schema: Record<string, unknown> }[] {
  const messages = messageJsonSchemas();
  return [
    { file: "deploy-request.schema.json", schema: messages.request },
    { file: "bulk-test-passed.schema.json", schema: messages.event },
    { file: "deployment-notification.schema.json", schema: messages.notification },
    { file: "simulator-scenario.schema.json", schema: scenarioJsonSchema() as Record<string, unknown> },
  ];
}

export const renderSchema = (schema: Record<string, unknown>): string => `${JSON.stringify(schema, null, 2)}\n`;
