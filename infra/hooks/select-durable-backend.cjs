#!/usr/bin/env node
/**
 * Writes the Durable Functions storage provider of the chosen backend into the host.json of the
 * deployment package (azure.yaml runs it on `.azure-package/host.json` after `npm run package`):
 *
 *   scheduler     extensions.durableTask.storageProvider = { type: "azureManaged",
 *                 connectionStringName: "DURABLE_TASK_SCHEDULER_CONNECTION_STRING" }
 *                 (Azure-Samples/durable-functions-quickstart-typescript-azd src/host.json), and the
 *                 provider's log category DurableTask.AzureManagedBackend at Warning like the other
 *                 Durable Task categories, unless host.json already sets it
 *   azureStorage  no storageProvider: the default Azure Storage provider on AzureWebJobsStorage
 *
 * Why the package and not an app setting: the Functions host would honour
 * AzureFunctionsJobHost__extensions__durableTask__storageProvider__type, but the scale controller
 * reads durableTask settings from the host.json file the app ships (azure-functions-host
 * FunctionsSyncManager.ReadDurableTaskConfig; azure-functions-durable-extension#2622 "Scale controller
 * doesn't appear to use app setting overridden storage provider settings"), so on Flex Consumption an
 * override would leave the app unscaled for orchestration work. The repository's host.json stays on
 * the default provider, which is what `func start` with Azurite and the local runner expect.
 *
 * The backend comes from the argument, else DURABLE_BACKEND (azd passes its environment to hooks; it is
 * also the main.bicep output of the same name), else "scheduler", the template's default.
 * Usage: node infra/hooks/select-durable-backend.cjs <host.json> [scheduler|azureStorage]
 */
"use strict";

const fs = require("node:fs");

const BACKENDS = ["scheduler", "azureStorage"];
const SCHEDULER_PROVIDER = { type: "azureManaged", connectionStringName: "DURABLE_TASK_SCHEDULER_CONNECTION_STRING" };
const SCHEDULER_LOG_CATEGORY = "DurableTask.AzureManagedBackend";

/** host.json (parsed) with the storage provider of `backend`; the input is not changed. */
function withDurableBackend(host, backend) {
  if (!BACKENDS.includes(backend)) throw new Error(`unknown durable backend "${backend}": expected ${BACKENDS.join(" or ")}`);
  const next = JSON.parse(JSON.stringify(host));
  next.extensions = next.extensions ?? {};
  const durableTask = (next.extensions.durableTask = next.extensions.durableTask ?? {});
  if (backend === "scheduler") {
    durableTask.storageProvider = { ...SCHEDULER_PROVIDER };
    const logLevel = next.logging?.logLevel;
    if (logLevel && typeof logLevel === "object" && !(SCHEDULER_LOG_CATEGORY in logLevel)) logLevel[SCHEDULER_LOG_CATEGORY] = "Warning";
  } else {
    delete durableTask.storageProvider;
  }
  return next;
}

function main(argv, env) {
  const [file, argBackend] = argv;
  if (!file) {
    process.stderr.write("usage: select-durable-backend.cjs <host.json> [scheduler|azureStorage]\n");
    return 2;
  }
  const backend = argBackend || env.DURABLE_BACKEND || "scheduler";
  try {
    const host = JSON.parse(fs.readFileSync(file, "utf8"));
    fs.writeFileSync(file, `${JSON.stringify(withDurableBackend(host, backend), null, 2)}\n`);
  } catch (err) {
    process.stderr.write(`select-durable-backend: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  process.stdout.write(`select-durable-backend: ${file} uses the ${backend} backend\n`);
  return 0;
}

module.exports = { withDurableBackend, SCHEDULER_PROVIDER, BACKENDS };

if (require.main === module) process.exitCode = main(process.argv.slice(2), process.env);
