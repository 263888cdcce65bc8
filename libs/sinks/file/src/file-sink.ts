import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DeliveryOutcome, Sink, SinkEvent, SinkHost, sinkConfigValidator, SinkPlugin, settingsOf } from '@tsp/sinks-core';

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

export interface FileSinkSettings {
  /** Rotate when the file would grow past this many bytes (0: never). */
  rotateBytes?: number;
  /** Rotated files kept (`<name>.1` newest … `<name>.N`); older ones are deleted. */
  maxFiles?: number;
}

export const FILE_SINK_DEFAULTS = { rotateBytes: 100 * 1024 * 1024, maxFiles: 10 } as const;

/**
 * `file`: appends each event as one JSON line in the delivered shape (tsp-api.md) to
 * `<TSP_LOGDRIVER_EVENTS_DIR>/<tenantFileName(tenantId)>` and fsyncs before `delivered`. A
 * tenant's config cannot choose the path (the directory is the logdriver's setting), only the
 * rotation: when an append would pass `rotateBytes`, the file is renamed to `<name>.1` (older
 * ones shift up to `<name>.<maxFiles>`, the oldest is deleted) and a new file begins. Renames
 * are atomic, so a crash leaves every line in exactly one file.
 *
 * At least once: if the process dies after the append and before the spool moved the cursor,
 * the batch is appended again after the restart, so a file can hold a line twice; consumers
 * dedupe by iclFields.tspRayId. A kill in the middle of a write can leave a partial last line:
 * the first append to a file after a start puts a newline first when the file does not end in
 * one, so the cut line stays on its own (and fails to parse) and never corrupts the next one.
 */
export class FileSink implements Sink {
  readonly type = 'file';
  /** Whether the file was checked for a partial last line since this sink was made. */
  private checked = false;
  readonly file: string;

  constructor(
    private readonly dir: string,
    tenantId: string,
    private readonly settings: Required<FileSinkSettings> = FILE_SINK_DEFAULTS,
  ) {
    this.file = path.join(dir, tenantFileName(tenantId));
  }

  async send(batch: readonly SinkEvent[]): Promise<DeliveryOutcome> {
    let text = '';
    for (const e of batch) text += `${e.json}\n`;
    try {
      await fsp.mkdir(this.dir, { recursive: true });
      await this.rotateIfDue(Buffer.byteLength(text, 'utf8'));
      await this.append(text);
      return { kind: 'delivered' };
    } catch (err) {
      return { kind: 'retry', reason: `file write failed (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }

  async close(): Promise<void> {
    // Files are opened per batch.
  }

  private async append(text: string): Promise<void> {
    const fh = await fsp.open(this.file, 'a+');
    try {
      const { size } = await fh.stat();
      if (!this.checked) {
        if (size > 0 && (await lastByte(fh, size)) !== 0x0a) text = `\n${text}`;
        this.checked = true;
      }
      await fh.appendFile(text, 'utf8');
      await fh.sync();
      // A new file's directory entry must be durable too.
      if (size === 0) await syncDir(this.dir);
    } finally {
      await fh.close();
    }
  }

  private async rotateIfDue(adding: number): Promise<void> {
    const { rotateBytes, maxFiles } = this.settings;
    if (rotateBytes === 0) return;
    let size: number;
    try {
      size = (await fsp.stat(this.file)).size;
    } catch {
      return;
    }
    if (size === 0 || size + adding <= rotateBytes) return;
    await fsp.rm(`${this.file}.${maxFiles}`, { force: true });
    for (let i = maxFiles - 1; i >= 1; i--) {
      await fsp.rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    await fsp.rename(this.file, `${this.file}.1`);
    await syncDir(this.dir);
    this.checked = true;
  }
}

const validate = sinkConfigValidator(
  {
    type: 'object',
    additionalProperties: false,
    properties: {
      rotateBytes: { type: 'integer', minimum: 0, maximum: 1099511627776 },
      maxFiles: { type: 'integer', minimum: 1, maximum: 1000 },
    },
  },
  { type: 'object', additionalProperties: false, properties: {} },
);

export const fileSinkPlugin: SinkPlugin = {
  type: 'file',
  limits: { maxEvents: 10_000, maxBytes: 16 * 1024 * 1024 },
  validate(config, host) {
    const problems = validate(config);
    if (host.eventsDir === undefined) problems.push(`logging.sinks[${config.id}] is a file sink, but this logdriver has no TSP_LOGDRIVER_EVENTS_DIR`);
    return problems;
  },
  create(config, host: SinkHost) {
    if (host.eventsDir === undefined) throw new Error('file sink without TSP_LOGDRIVER_EVENTS_DIR');
    return new FileSink(host.eventsDir, host.tenantId, { ...FILE_SINK_DEFAULTS, ...settingsOf<FileSinkSettings>(config) });
  },
};

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
