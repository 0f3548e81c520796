import { join } from "node:path";

/**
 * Expands package.json `main` the way the Azure Functions Node.js worker does: `globby(pattern,
 * { cwd: functionAppDirectory })`, files loaded in the order globby returns them, and zero matches is
 * an error ("Found zero files matching the supplied pattern").
 * Source: Azure/azure-functions-nodejs-worker src/startApp.ts (loadEntryPointFile).
 */
export async function expandMainGlob(pattern: string, cwd: string): Promise<string[]> {
  const { globby } = await import("globby");
  return (await globby(pattern, { cwd })).map((file) => join(cwd, file));
}
