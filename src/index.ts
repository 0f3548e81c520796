import { app } from "@azure/functions";
import * as df from "durable-functions";
import { PipelineError } from "./errors";

/**
 * App bootstrap, loaded first by the `main` glob (dist/src/{index.js,functions/*.js}).
 * Registrations live in src/functions/; this file only configures the app as a whole.
 */
app.setup({ enableHttpStream: false });

// Activities throw PipelineErrors; their {code, retryable, retryAfterSeconds, status} reach the orchestrator in
// TaskFailedError.failureDetails.properties, so it branches on data, never on message text.
df.app.setExceptionPropertiesProvider({
  getExceptionProperties(error: unknown) {
    return error instanceof PipelineError ? { ...error.toProperties() } : undefined;
  },
});
