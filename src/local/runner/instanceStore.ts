import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EntityCaller, EntityMessage, ExecutionState } from "./episode";
import type { FailureDetailsPayload, HistoryEvent } from "./wire";

/** Durable's runtime statuses that the runner uses (Canceled and Suspended are never set). */
export type RuntimeStatus = "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Terminated";

export interface ActivityWork {
  name: string;
  inputJson: string | undefined;
  attempt: number;
  /** A retry whose timeout expired: complete this attempt as failed without running the activity. */
  failWith?: FailureDetailsPayload | undefined;
}

export interface InstanceMetrics {
  /** Orchestrator invocations (each replays the whole history). */
  episodes: number;
  /** History events handed to the library, summed over episodes: the replay cost. */
  replayedEvents: number;
  /** History events recorded, over every execution (continue-as-new starts a new history). */
  historyEvents: number;
  activities: { calls: number; failures: number; busyMs: number; maxMs: number };
  timersFired: number;
  entityCalls: number;
  /** Real (wall) time, epoch ms. */
  startedWallMs: number;
  completedWallMs?: number | undefined;
  /** Runner clock (virtual or scaled), ISO. */
  startedAt: string;
  completedAt?: string | undefined;
}

/** Everything the runner knows about one orchestration instance: persisted as one JSON file. */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  /** Output as JSON text (Completed), or the failure/termination message as JSON text. */
  outputJson?: string | undefined;
  failure?: { message: string; details?: FailureDetailsPayload | undefined; nonDeterminism?: boolean | undefined } | undefined;
  exec: ExecutionState;
  /** Events that arrived and wait for the next episode, in arrival order. */
  inbox: HistoryEvent[];
  /** Host work in flight, by task id: re-run / re-armed after a restart. */
  work: {
    activities: Record<string, ActivityWork>;
    timers: Record<string, string>;
    subOrchestrations: Record<string, { instanceId: string; name: string; inputJson: string | undefined }>;
  };
  /** Entity calls and lock requests awaiting a response, by request id (de-duplicates redelivery). */
  awaitingEntity: Record<string, true>;
  /** Messages to entities not yet handed to their queues. */
  entityOutbox: Array<{ entityId: string; message: EntityMessage }>;
  parent?: { instanceId: string; executionId: string; taskId: number } | undefined;
  parentNotified?: boolean | undefined;
  metrics: InstanceMetrics;
  /** The runner clock at the last write (a restarted VirtualClock resumes from the latest). */
  clockAt: string;
}

export type EntityOutboxItem =
  | { to: "entity"; entityId: string; message: EntityMessage }
  | { to: "instance"; caller: EntityCaller; requestId: string; event?: HistoryEvent | undefined; grantedLock?: string[] | undefined };

/** A durable entity: its state, its lock, its queue. */
export interface EntityRecord {
  entityId: string;
  name: string;
  key: string;
  exists: boolean;
  stateJson?: string | undefined;
  lockedBy?: { caller: EntityCaller; requestId: string } | undefined;
  queue: EntityMessage[];
  outbox: EntityOutboxItem[];
  operations: number;
  lastUpdatedTime: string;
}

export interface InstanceStore {
  readonly persistent: boolean;
  loadInstances(): InstanceRecord[];
  loadEntities(): EntityRecord[];
  saveInstance(record: InstanceRecord): void;
  saveEntity(record: EntityRecord): void;
  deleteInstance(instanceId: string): void;
}

/** No persistence: the runtime's in-memory maps are the only copy. */
export class MemoryInstanceStore implements InstanceStore {
  readonly persistent = false;
  loadInstances(): InstanceRecord[] {
    return [];
  }
  loadEntities(): EntityRecord[] {
    return [];
  }
  saveInstance(): void {}
  saveEntity(): void {}
  deleteInstance(): void {}
}

/**
 * Files under `stateDir`: one append-only log per instance (`instances/<id>.jsonl`) and per entity
 * (`entities/<id>.jsonl`). Each save appends one line: the record without its history, plus the
 * history events added since the previous line (`reset` starts a new execution's history). Loading
 * folds the lines; a line the killed process did not finish is cut off (the file is truncated after
 * the last whole line), so a restart sees the last completed save, never half of one.
 *
 * Why a log and not "rewrite the JSON, then rename": on this class of disk a rename costs ~0.5 ms and
 * an append ~0.03 ms; at 400 instances x ~40 saves the renames alone took >10 s. A log is rewritten
 * whole (temp file + rename) every COMPACT_EVERY_LINES saves to keep it short.
 * No fsync: this survives the process dying, not the machine. One runner per state directory.
 */
export class FileInstanceStore implements InstanceStore {
  readonly persistent = true;
  private readonly instancesDir: string;
  private readonly entitiesDir: string;
  private tmpCounter = 0;
  private readonly instanceLogs = new Map<string, { executionId: string; count: number; lines: number }>();
  private readonly entityLogs = new Map<string, { lines: number }>();

  constructor(readonly stateDir: string) {
    this.instancesDir = join(stateDir, "instances");
    this.entitiesDir = join(stateDir, "entities");
    mkdirSync(this.instancesDir, { recursive: true });
    mkdirSync(this.entitiesDir, { recursive: true });
  }

  loadInstances(): InstanceRecord[] {
    const out: InstanceRecord[] = [];
    for (const lines of this.readLogs<InstanceLine>(this.instancesDir)) {
      let record: InstanceRecord | undefined;
      let history: HistoryEvent[] = [];
      for (const line of lines) {
        history = line.reset ? [...line.h] : history.concat(line.h);
        record = line.r;
      }
      if (!record) continue;
      record = { ...record, exec: { ...record.exec, history } };
      this.instanceLogs.set(record.instanceId, { executionId: record.exec.executionId, count: history.length, lines: lines.length });
      out.push(record);
    }
    return out;
  }

  loadEntities(): EntityRecord[] {
    const out: EntityRecord[] = [];
    for (const lines of this.readLogs<EntityLine>(this.entitiesDir)) {
      const last = lines[lines.length - 1];
      if (!last) continue;
      this.entityLogs.set(last.e.entityId, { lines: lines.length });
      out.push(last.e);
    }
    return out;
  }

  saveInstance(record: InstanceRecord): void {
    const { history, ...exec } = record.exec;
    const file = join(this.instancesDir, logFileFor(record.instanceId));
    const log = this.instanceLogs.get(record.instanceId);
    const slim: InstanceRecord = { ...record, exec: { ...exec, history: [] } };
    if (!log || log.lines >= COMPACT_EVERY_LINES || log.executionId !== exec.executionId || history.length < log.count) {
      this.replace(file, { r: slim, h: history, reset: true } satisfies InstanceLine);
      this.instanceLogs.set(record.instanceId, { executionId: exec.executionId, count: history.length, lines: 1 });
      return;
    }
    appendFileSync(file, JSON.stringify({ r: slim, h: history.slice(log.count) } satisfies InstanceLine) + "\n");
    log.count = history.length;
    log.lines++;
  }

  saveEntity(record: EntityRecord): void {
    const file = join(this.entitiesDir, logFileFor(record.entityId));
    const log = this.entityLogs.get(record.entityId);
    if (!log || log.lines >= COMPACT_EVERY_LINES) {
      this.replace(file, { e: record } satisfies EntityLine);
      this.entityLogs.set(record.entityId, { lines: 1 });
      return;
    }
    appendFileSync(file, JSON.stringify({ e: record } satisfies EntityLine) + "\n");
    log.lines++;
  }

  deleteInstance(instanceId: string): void {
    this.instanceLogs.delete(instanceId);
    rmSync(join(this.instancesDir, logFileFor(instanceId)), { force: true });
  }

  /** Writes `line` as the whole content of `file`, atomically (temp file + rename). */
  private replace(file: string, line: unknown): void {
    const tmp = `${file}.${process.pid}.${this.tmpCounter++}.tmp`;
    writeFileSync(tmp, JSON.stringify(line) + "\n");
    renameSync(tmp, file);
  }

  /** Every log's whole lines, parsed; a torn last line is cut off the file. */
  private readLogs<T>(dir: string): T[][] {
    const out: T[][] = [];
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      if (name.endsWith(".tmp")) {
        rmSync(file, { force: true }); // a compaction the process did not finish
        continue;
      }
      if (!name.endsWith(".jsonl")) continue;
      const text = readFileSync(file, "utf8");
      const lines: T[] = [];
      let offset = 0;
      let good = 0;
      while (offset < text.length) {
        const end = text.indexOf("\n", offset);
        if (end < 0) break; // no newline: the write was cut short
        try {
          lines.push(JSON.parse(text.substring(offset, end)) as T);
        } catch {
          break;
        }
        offset = end + 1;
        good = offset;
      }
      if (good < text.length) truncateSync(file, Buffer.byteLength(text.substring(0, good)));
      out.push(lines);
    }
    return out;
  }
}

/** Saves between two compactions of an instance or entity log. */
const COMPACT_EVERY_LINES = 200;

interface InstanceLine {
  r: InstanceRecord;
  h: HistoryEvent[];
  reset?: boolean;
}

interface EntityLine {
  e: EntityRecord;
}

function logFileFor(id: string): string {
  return fileNameFor(id).replace(/\.json$/, ".jsonl");
}

/** Readable file names for ordinary ids; a hash when the id has characters a file name should not. */
export function fileNameFor(id: string): string {
  if (/^[A-Za-z0-9._@:-]{1,150}$/.test(id) && !id.startsWith(".")) return `${id.replace(/:/g, "%3A")}.json`;
  return `h-${createHash("sha256").update(id).digest("hex").slice(0, 40)}.json`;
}
