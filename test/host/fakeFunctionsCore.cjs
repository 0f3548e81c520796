// Stands in for the module the Azure Functions Node.js worker provides to @azure/functions, so a
// test can see exactly which functions the app registers when the worker loads the `main` files.
// As strict as the worker and host: a second registration of a name throws the worker's error
// (azure-functions-nodejs-worker src/coreApi/registerFunction.ts: `A function with id "X" has already
// been registered.`), and so does a name differing only in case (the host keys function metadata
// OrdinalIgnoreCase, and the Durable extension's FunctionName compares ignoring case); a name the
// host cannot index throws too (azure-functions-host Utility.cs, `^[a-z][a-z0-9_\-]{0,127}$`, not "host").
"use strict";
const Module = require("node:module");
const registered = [];
const seen = new Map();
const fakeCore = {
  version: "test",
  setProgrammingModel() {},
  registerFunction(metadata) {
    const id = metadata.functionId || metadata.name;
    if (!/^[a-z][a-z0-9_-]{0,127}$/i.test(id) || id.toLowerCase() === "host") throw new Error(`'${id}' is not a valid function name.`);
    if (seen.has(id)) throw new Error(`A function with id "${id}" has already been registered.`);
    if (seen.has(id.toLowerCase())) throw new Error(`A function with id "${id}" differs only in case from "${seen.get(id.toLowerCase())}": the host compares function names ignoring case.`);
    seen.set(id, id);
    seen.set(id.toLowerCase(), id);
    const trigger = Object.values(metadata.bindings || {}).find((b) => /trigger$/i.test(b.type));
    registered.push({
      name: metadata.name,
      trigger: trigger && trigger.type,
      authLevel: trigger && trigger.authLevel,
      ...(trigger && trigger.type === "httpTrigger" ? { route: trigger.route, methods: trigger.methods } : {}),
      ...(trigger && trigger.type === "serviceBusTrigger" ? { connection: trigger.connection, queueName: trigger.queueName } : {}),
    });
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
