import { Option } from "commander";
import { createFlowdeployClient } from "../../client/client";
import { DEFAULT_TOPIC_NAME, describeConnection, redactSecrets } from "../../client/connection";
import { describeServiceBusError } from "../../client/errors";
import type { NotificationMeta, WatchOptions } from "../../client/watch";
import { OUTCOMES, type DeploymentNotification, type Outcome } from "../../contracts";
import { isFinalOutcome } from "../../domain/outcomes";
import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import type { RegisterCommand } from "../command";
import { addConnectionOptions, CLI_SERVICE_BUS_OPTIONS, createOrUsageError, resolveConnection, type ConnectionFlags } from "./serviceBusOptions";

/**
 * `flowdeploy watch`: prints notifications from a subscription of the notifications topic, one per
 * line, completing each after printing. `--once` ends after the first match that ends a run (exit 0
 * if it Succeeded, else 1): an AwaitingApproval notification is printed and the watch goes on to
 * the outcome, unless `--outcome AwaitingApproval` asked for exactly that (exit 0); `--timeout`
 * ends after that many seconds (exit 1 if nothing matched, or with `--once` if no outcome did);
 * SIGINT/SIGTERM end it cleanly (exit 0). When the connection drops (the namespace or local broker
 * went away), one line on stderr says so at once and the watch reconnects: a second line says when
 * it is watching again; if the namespace cannot be reached (after the retry policy), it ends with
 * one line naming the error, exit 1, so a script waiting on it is not left hanging.
 */

/** Declared by the local topology (src/local/serviceBusTopology.ts); on Azure, create it (docs/client.md). */
export const DEFAULT_CLI_SUBSCRIPTION = "flowdeploy-cli";

/** setTimeout holds at most 2^31 − 1 ms (about 24.8 days). */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export interface WatchCommandOptions extends ConnectionFlags {
  subscription?: string;
  outcome?: Outcome;
  requestId?: string;
  /** Not a flag: `enqueue --wait` waits for the answer to the body it sent (its message id). */
  requestDigest?: string;
  json?: boolean;
  once?: boolean;
  topic?: string;
  timeout?: string;
}

type EndReason = "signal" | "once" | "timeout";

/** Runs the watch until `--once`, `--timeout` or `stop` ends it; resolves to the exit code. */
export async function runWatchCommand(
  opts: WatchCommandOptions,
  io: CliIO,
  env: Record<string, string | undefined>,
  stop?: AbortSignal,
  /** Tests shorten the waits; the command uses the library's defaults. */
  tuning: Pick<WatchOptions, "receiveWaitMs" | "reconnectForMs"> = {},
): Promise<number> {
  const connection = resolveConnection(opts, env);
  const timeoutSeconds = parseTimeout(opts.timeout);
  const topicName = opts.topic ?? (env["NOTIFICATION_TOPIC_NAME"]?.trim() || DEFAULT_TOPIC_NAME);
  const subscription = opts.subscription ?? DEFAULT_CLI_SUBSCRIPTION;
  const entity = `subscription '${subscription}' of topic '${topicName}'`;

  const ending = new AbortController();
  let reason: EndReason | undefined;
  const end = (why: EndReason) => {
    reason ??= why;
    ending.abort();
  };
  const onStop = () => end("signal");
  stop?.addEventListener("abort", onStop, { once: true });
  if (stop?.aborted) end("signal");
  // Counted from the start, so a namespace that never answers also ends in time.
  const timer = timeoutSeconds === undefined ? undefined : setTimeout(() => end("timeout"), timeoutSeconds * 1000);

  let first: DeploymentNotification | undefined;
  // What --once waits for: the first notification that ends its run, or the outcome --outcome names.
  let last: DeploymentNotification | undefined;
  const print = (notification: DeploymentNotification, meta?: NotificationMeta) => {
    writeLine(io.stdout, opts.json ? JSON.stringify(notification) : formatNotificationLine(notification) + (meta?.traceId ? ` trace=${meta.traceId}` : ""));
    first ??= notification;
    if (opts.outcome !== undefined || isFinalOutcome(notification.outcome)) last ??= notification;
    if (opts.once && last) end("once");
  };

  const client = createOrUsageError(() => createFlowdeployClient(connection, { topicName, serviceBusClientOptions: CLI_SERVICE_BUS_OPTIONS }), connection);
  const where = describeConnection(connection);
  let dropped = false;
  try {
    const handle = await client.watch(
      {
        subscription,
        outcome: opts.outcome,
        requestId: opts.requestId,
        requestDigest: opts.requestDigest,
        signal: ending.signal,
        ...tuning,
        onDeadLettered: (d) => writeLine(io.stderr, `flowdeploy watch: dead-lettered message ${d.messageId ?? "(no id)"} (${d.reason}): ${d.description}`),
        onDisconnected: (reason) => {
          dropped = true;
          writeLine(io.stderr, `flowdeploy watch: lost the connection to ${where} (${redactSecrets(reason, connection)}); reconnecting`);
        },
        onReconnected: () => {
          dropped = false;
          writeLine(io.stderr, `flowdeploy watch: reconnected to ${where}; watching ${entity} again`);
        },
      },
      print,
    );
    if (!ending.signal.aborted) writeLine(io.stderr, `flowdeploy watch: watching ${entity} on ${where}${describeFilter(opts)}; Ctrl+C to stop`);
    await handle.done;
  } catch (err) {
    writeLine(io.stderr, `flowdeploy watch: ${dropped ? "cannot reconnect: " : ""}${describeServiceBusError(err, { connection, entity })}`);
    return ExitCode.failure;
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener("abort", onStop);
    await client.close().catch(() => undefined);
  }

  if (reason === "once") return last?.outcome === "Succeeded" || (last !== undefined && !isFinalOutcome(last.outcome)) ? ExitCode.ok : ExitCode.failure;
  if (reason === "timeout" && first === undefined) {
    writeLine(io.stderr, `flowdeploy watch: no matching notification within ${opts.timeout} s`);
    return ExitCode.failure;
  }
  if (reason === "timeout" && opts.once && last === undefined) {
    writeLine(io.stderr, `flowdeploy watch: no outcome within ${opts.timeout} s (so far: ${first?.outcome}; the run has not ended)`);
    return ExitCode.failure;
  }
  return ExitCode.ok;
}

/**
 * `2026-11-23T10:31:02.000Z Failed web-classify/green request=abc error smokeTest/ScoringFailed: ...`;
 * a request for approval says until when and how to answer
 * (`... AwaitingApproval web-classify/green request=abc waiting for approval until 2026-11-23T11:31:02.000Z: flowdeploy approve|reject deploy-...`),
 * an outcome after one says who answered (`... approved by alice@contoso.com`).
 */
export function formatNotificationLine(n: DeploymentNotification): string {
  const target = `${n.endpoint?.name ?? "-"}/${n.deployment?.name ?? "-"}`;
  const error = n.error ? ` error ${n.error.stage}/${n.error.code}: ${n.error.message}` : "";
  const approval = n.approval;
  let asked = "";
  if (n.outcome === "AwaitingApproval" && approval) {
    const whom = approval.approvers?.length ? ` (asks ${approval.approvers.join(", ")})` : "";
    asked = ` waiting for approval until ${approval.expiresAt}${whom}: flowdeploy approve|reject ${n.instanceId ?? "<instanceId>"}`;
  } else if (approval?.decision) {
    asked = ` ${approval.decision}${approval.by ? ` by ${approval.by}` : ""}`;
  }
  return oneLine(`${n.endedAt} ${n.outcome} ${target} request=${n.requestId ?? "-"}${asked}${error}`);
}

/** Whitespace runs (newlines in an error message) become one space; other control characters are dropped. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\s+/g, " ").replace(/[\u0000-\u001f\u007f-\u009f]/g, "");
}

function describeFilter(opts: WatchCommandOptions): string {
  const parts = [opts.outcome && `outcome=${opts.outcome}`, opts.requestId && `request=${opts.requestId}`].filter(Boolean);
  return parts.length > 0 ? ` (printing only ${parts.join(", ")})` : "";
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_TIMEOUT_SECONDS) {
    throw new UsageError(`--timeout must be a number of seconds from more than 0 to ${MAX_TIMEOUT_SECONDS}, got '${value}'`);
  }
  return seconds;
}

/** Calls `onSignal` on the first SIGINT or SIGTERM; returns the function that removes the listeners. */
export function onShutdownSignal(onSignal: () => void): () => void {
  const handler = () => {
    remove();
    onSignal();
  };
  const remove = () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return remove;
}

export const registerWatchCommand: RegisterCommand = (program, io, setExitCode) => {
  addConnectionOptions(
    program
      .command("watch")
      .description("print deployment notifications from a subscription of the notifications topic, one per line, until stopped")
      .option("--subscription <NAME>", "the topic subscription to receive from (it must exist)", DEFAULT_CLI_SUBSCRIPTION)
      .addOption(new Option("--outcome <OUTCOME>", "print only this outcome (others are still completed: see docs/client.md)").choices(OUTCOMES))
      .option("--request-id <ID>", "print only this request's notification (others are still completed)")
      .option("--json", "print each notification as one JSON line")
      .option("--once", "end after the first printed outcome, past AwaitingApproval notifications (unless --outcome AwaitingApproval): exit 0 if it Succeeded (or is the AwaitingApproval asked for), 1 otherwise")
      .option("--topic <T>", `topic name (default: NOTIFICATION_TOPIC_NAME, else ${DEFAULT_TOPIC_NAME})`)
      .option("--timeout <SECONDS>", "end after SECONDS; exit 1 if nothing was printed (with --once: if no outcome was)"),
  ).action(async (opts: WatchCommandOptions) => {
    const shutdown = new AbortController();
    const removeSignalListeners = onShutdownSignal(() => shutdown.abort());
    try {
      setExitCode(await runWatchCommand(opts, io, process.env, shutdown.signal));
    } finally {
      removeSignalListeners();
    }
  });
};
