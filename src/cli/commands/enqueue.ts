import { createFlowdeployClient } from "../../client/client";
import { parseTraceparent } from "../../tracing/traceparent";
import { DEFAULT_QUEUE_NAME, redactSecrets } from "../../client/connection";
import { describeServiceBusError, RequestValidationError } from "../../client/errors";
import { formatIssues, parseJsonText, type DeployRequestInput } from "../../contracts";
import { ExitCode, UsageError, writeLine, type CliIO } from "../io";
import type { RegisterCommand } from "../command";
import { readInputText } from "../readInput";
import { runWatchCommand } from "./watch";
import { addConnectionOptions, CLI_SERVICE_BUS_OPTIONS, createOrUsageError, resolveConnection, type ConnectionFlags } from "./serviceBusOptions";

/**
 * `flowdeploy enqueue FILE [--connection-string S | --namespace NS] [--queue Q]`: validates a deploy
 * request and sends it to the queue; prints the request id. Exit 0 sent; 1 invalid request (one
 * line per problem on stderr, nothing sent) or a transport failure (one line); 2 usage.
 */
export interface EnqueueCommandOptions extends ConnectionFlags {
  queue?: string;
  /** After sending, wait for this request's outcome (as `watch --once --request-id`: past an AwaitingApproval notification). */
  wait?: boolean;
  subscription?: string;
  timeout?: string;
  json?: boolean;
  traceparent?: string;
}

export async function runEnqueueCommand(file: string, opts: EnqueueCommandOptions, io: CliIO, env: Record<string, string | undefined>): Promise<number> {
  const connection = resolveConnection(opts, env);
  const queueName = opts.queue ?? (env["DEPLOY_QUEUE_NAME"]?.trim() || DEFAULT_QUEUE_NAME);
  if (opts.traceparent !== undefined && !parseTraceparent(opts.traceparent)) throw new UsageError("--traceparent: expected a W3C traceparent, 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>");
  const json = parseJsonText(await readRequestText(file, io));
  if (!json.ok) {
    for (const line of formatIssues(json.issues)) writeLine(io.stderr, line);
    return ExitCode.failure;
  }
  const client = createOrUsageError(() => createFlowdeployClient(connection, { queueName, serviceBusClientOptions: CLI_SERVICE_BUS_OPTIONS }), connection);
  try {
    // The client validates whatever it is given against the contract before sending anything.
    const { requestId, messageId, traceId } = await client.enqueue(json.value as DeployRequestInput, opts.traceparent !== undefined ? { traceparent: opts.traceparent } : {});
    writeLine(io.stdout, requestId);
    writeLine(io.stderr, `flowdeploy enqueue: trace ${traceId}`);
    if (!opts.wait) {
      // The queue cannot answer; the pipeline does, on the notifications topic. Say where to look.
      writeLine(io.stderr, `flowdeploy enqueue: sent; its outcome is a notification (enqueue --wait, or watch --once --request-id ${requestId}); a request id already used by another body is answered Rejected RequestIdConflict`);
      return ExitCode.ok;
    }
    // The queue's verdict is only known downstream: a request id already used by another request is
    // rejected by the pipeline (RequestIdConflict), which --wait shows, as every other outcome.
    // Matched by content too (the message id is the body's digest): while an earlier body's run holds
    // the id, its notifications are not this request's answer.
    return await runWatchCommand({ ...opts, once: true, requestId, requestDigest: messageId }, io, env);
  } catch (err) {
    if (err instanceof RequestValidationError) {
      for (const line of err.lines()) writeLine(io.stderr, line);
    } else {
      writeLine(io.stderr, `flowdeploy enqueue: cannot send: ${describeServiceBusError(err, { connection, entity: `queue '${queueName}'` })}`);
    }
    return ExitCode.failure;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** FILE, or stdin for "-"; a connection string passed as FILE by mistake is not echoed with its key. */
async function readRequestText(file: string, io: CliIO): Promise<string> {
  try {
    return await readInputText(file, io.stdin);
  } catch (err) {
    throw err instanceof UsageError ? new UsageError(redactSecrets(err.message)) : err;
  }
}

export const registerEnqueueCommand: RegisterCommand = (program, io, setExitCode) => {
  addConnectionOptions(
    program
      .command("enqueue")
      .description("validate a deploy request and send it to the deploy-requests queue; prints the request id")
      .argument("<FILE>", 'the deploy request JSON, or "-" for standard input'),
  )
    .option("--queue <Q>", `queue name (default: DEPLOY_QUEUE_NAME, else ${DEFAULT_QUEUE_NAME})`)
    .option("--wait", "then wait for the request's outcome and print it (exit 0 Succeeded, 1 otherwise: Failed, Rejected — e.g. RequestIdConflict — or Cancelled); an AwaitingApproval notification is printed and the wait goes on")
    .option("--subscription <NAME>", "with --wait: the topic subscription to receive from (as watch)")
    .option("--timeout <SECONDS>", "with --wait: give up after this long (exit 1)")
    .option("--json", "with --wait: print the notification as JSON")
    .option("--traceparent <TRACEPARENT>", "continue this W3C trace (00-<trace id>-<span id>-<flags>), e.g. a CI pipeline's; default: a new trace, whose id is printed on stderr")
    .action(async (file: string, opts: EnqueueCommandOptions) => {
      setExitCode(await runEnqueueCommand(file, opts, io, process.env));
    });
};
