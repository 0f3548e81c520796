import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { UsageError } from "./io";

/** Reads FILE, or standard input when FILE is "-". A missing file is a usage error. */
export async function readInputText(file: string, stdin: Readable): Promise<string> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString("utf8");
  }
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file} (${code ?? "error"})`);
  }
}
