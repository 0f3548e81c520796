#!/usr/bin/env node
"use strict";
// The flowdeploy CLI runs straight from the TypeScript sources through tsx, so `npx flowdeploy`
// works right after `npm ci` with no build step. The Function App itself is compiled with tsc.
require("tsx/cjs");
const { main } = require("../src/cli/main.ts");
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // Only programming errors reach here: bad input is reported by the commands themselves.
    process.stderr.write(`flowdeploy: internal error: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 3;
  },
);
