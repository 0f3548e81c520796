/** Regenerates schemas/*.schema.json from the zod contracts: `npm run schemas`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderSchema, schemaFiles } from "./schemaFiles";

const dir = join(__dirname, "..", "schemas");
mkdirSync(dir, { recursive: true });
for (const { file, schema } of schemaFiles()) {
  writeFileSync(join(dir, file), renderSchema(schema));
  console.log(`wrote schemas/${file}`);
}
