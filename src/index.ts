import { app } from "@azure/functions";
import * as df from "durable-functions";
import { PipelineError } from "./errors";
import { startAzureMonitor } from "./tracing/azureMonitor";

/**
 * App bootstrap, loaded first by the `main` glob (dist/src/{index.js,functions/*.js}).
 * Registrations live in src/functions/; this file only configures the app as a whole.
 */
app.setup({ enableHttpStream: false });

// Spans to Application Insights when the app has a connection string (docs/tracing.md).
startAzureMonitor();

// Activities throw PipelineErrors; their {code, retryable, retryAfterSeconds, status} reach the orchestrator in
// TaskFailedError.failureDetails.properties, so it branches on data, never on message text.
df.app.setExceptionPropertiesProvider({
  getExceptionProperties(error: unknown) {
    return error instanceof PipelineError ? { ...error.toProperties() } : undefined;
  },
});
