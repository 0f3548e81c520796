#!/usr/bin/env node
"use strict";
// The flowdeploy CLI runs straight from the TypeScript sources through tsx, so `npx flowdeploy`
// works right after `npm ci` with no build step. The Function App itself is compiled with tsc.
require("tsx/cjs");
// A reader that stops early (`flowdeploy local | head`) closes the pipe: that ends the command quietly,
// as for any Unix tool, rather than with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err && err.code === "EPIPE") process.exit(0);
    throw err;
  });
}
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
