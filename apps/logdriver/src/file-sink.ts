import { createHash } from 'node:crypto';
import { mkdirSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { deliveredEventLine, SecurityEventRecord } from '@tsp/events';

/**
 * Where the delivery loop hands a tenant's events. Resolves only when they are durably handed
 * over (written and synced, or acknowledged by the remote system); rejects to have the whole
 * batch retried. More sinks (syslog, cloud logging, SIEMs) plug in behind this interface.
 */
export interface EventSink {
  readonly name: string;
  deliver(tenantId: string, events: readonly SecurityEventRecord[]): Promise<void>;
}

/** Longest file name we build (most file systems allow 255 bytes). */
const MAX_NAME = 200;

/**
 * The file name of a tenant's events: `<safe tenant id>.ndjson`, where the safe id keeps
 * A-Z a-z 0-9 '-' '_' '.' and writes every other UTF-8 byte as %XX (upper-case hex), like URL
 * percent-encoding; a leading '.' is encoded too, so no name is hidden, '.' or '..'. The mapping
 * is one-to-one, so two tenants never share a file. Names longer than 200 characters are cut to
 * 180 and end in '~' and the first 16 hex digits of the SHA-256 of the tenant id. (On a
 * case-insensitive file system, tenants differing only in case would share a file.)
 */
export function tenantFileName(tenantId: string): string {
  let safe = '';
  for (const byte of Buffer.from(tenantId, 'utf8')) {
    const c = String.fromCharCode(byte);
    const plain = /[A-Za-z0-9_-]/.test(c) || (c === '.' && safe !== '');
    safe += plain ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (safe.length > MAX_NAME) {
    safe = `${safe.slice(0, 180)}~${createHash('sha256').update(tenantId, 'utf8').digest('hex').slice(0, 16)}`;
  }
  return `${safe}.ndjson`;
}

/**
 * Appends each event as one JSON line in the delivered shape (tsp-api.md) to
 * `<dir>/<tenantFileName>` and fsyncs before resolving.
 *
 * At least once: if the process dies after the append and before the spool marked the batch
 * delivered, the batch is appended again after the restart, so a file can hold a line twice;
 * consumers dedupe by iclFields.tspRayId. A kill in the middle of a write can leave a partial
 * last line: the first append to a file after a start puts a newline first when the file does
 * not end in one, so the cut line stays on its own (and fails to parse) and never corrupts the
 * next one.
 */
export class FileSink implements EventSink {
  readonly name = 'file';
  /** Files checked for a partial last line since this process started. */
  private readonly checked = new Set<string>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  fileOf(tenantId: string): string {
    return path.join(this.dir, tenantFileName(tenantId));
  }

  async deliver(tenantId: string, events: readonly SecurityEventRecord[]): Promise<void> {
    const file = this.fileOf(tenantId);
    let text = '';
    for (const e of events) text += deliveredEventLine(e);
    const fh = await fsp.open(file, 'a+');
    try {
      let created = false;
      if (!this.checked.has(file)) {
        const { size } = await fh.stat();
        created = size === 0;
        if (!created && (await lastByte(fh, size)) !== 0x0a) text = `\n${text}`;
        this.checked.add(file);
      }
      await fh.appendFile(text, 'utf8');
      await fh.sync();
      // A new file's directory entry must be durable too.
      if (created) await syncDir(this.dir);
    } finally {
      await fh.close();
    }
  }
}

async function lastByte(fh: fsp.FileHandle, size: number): Promise<number> {
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  return last[0];
}

async function syncDir(dir: string): Promise<void> {
  const d = await fsp.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
