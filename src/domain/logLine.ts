import { logText } from "./logText";

/** What every line the app writes about a deployment says first: which request, run, endpoint and stage. */
export interface LogFields {
  requestId?: string | null | undefined;
  instanceId?: string | null | undefined;
  endpoint?: string | null | undefined;
  stage?: string | null | undefined;
}

/**
 * A log line that starts `request=<id> instance=<id> endpoint=<name> stage=<stage>` (`-` where not
 * known), then the message: the same keys in the same order on every line the app writes, so a query
 * (`where message has "request=web-classification-2026-11-23-001"`) or a grep finds one deployment's
 * lines across the triggers, the orchestrator and the activities. Values are escaped (logText).
 */
export function logLine(fields: LogFields, message: string): string {
  const v = (x: string | null | undefined) => (x ? logText(x).replace(/\s/g, "_") : "-");
  // The message stays one line too (an Azure error text can span several): line breaks are escaped.
  const oneLine = message.replace(/[\r\n\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `request=${v(fields.requestId)} instance=${v(fields.instanceId)} endpoint=${v(fields.endpoint)} stage=${v(fields.stage)} ${oneLine}`;
}
