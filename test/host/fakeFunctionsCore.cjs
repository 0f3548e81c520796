// Stands in for the module the Azure Functions Node.js worker provides to @azure/functions, so a
// test can see exactly which functions the app registers when the worker loads the `main` files.
"use strict";
const Module = require("node:module");
const registered = [];
const fakeCore = {
  version: "test",
  setProgrammingModel() {},
  registerFunction(metadata) {
    const trigger = Object.values(metadata.bindings || {}).find((b) => /trigger$/i.test(b.type));
    registered.push({ name: metadata.name, trigger: trigger && trigger.type, authLevel: trigger && trigger.authLevel });
    return { dispose() {} };
  },
  log() {},
  registerHook() {
    return { dispose() {} };
  },
  getProgrammingModel() {},
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@azure/functions-core") return "@azure/functions-core";
  return resolve.call(this, request, ...rest);
};
require.cache["@azure/functions-core"] = { id: "@azure/functions-core", filename: "@azure/functions-core", loaded: true, exports: fakeCore };
process.on("exit", () => process.stdout.write(`\n${JSON.stringify(registered)}\n`));
