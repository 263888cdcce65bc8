import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deliveredEventLine, SecurityEventRecord } from '@tsp/events';
import type { SinkEvent } from '@tsp/sinks-core';
import { sinkConformance } from '@tsp/sink-conformance';
import { FileSink, fileSinkPlugin, tenantFileName } from './file-sink';

function record(n: number, tenantId = 't1'): SecurityEventRecord {
  return {
    category: 'application',
    tenantId,
    timestampMillis: Date.UTC(2026, 4, 5, 17, 44, 42, 656),
    iclFields: { event: 'USER_LOGIN', requestingId: 'u1', tspRayId: `ray-${n}` },
    customFields: {},
  };
}

describe('tenantFileName', () => {
  it.each([
    ['t1', 't1.ndjson'],
    ['Tenant_A-1.prod', 'Tenant_A-1.prod.ndjson'],
    ['a/b', 'a%2Fb.ndjson'],
    ['..', '%2E..ndjson'],
    ['.hidden', '%2Ehidden.ndjson'],
    ['a b%', 'a%20b%25.ndjson'],
    ['ü', '%C3%BC.ndjson'],
    ['C:\\x', 'C%3A%5Cx.ndjson'],
  ])('%s -> %s', (tenantId, name) => {
    expect(tenantFileName(tenantId)).toBe(name);
  });

  it('is one-to-one on distinct ids that look alike once encoded', () => {
    expect(tenantFileName('a/b')).not.toBe(tenantFileName('a%2Fb'));
  });

  it('cuts long names and keeps them distinct with a hash', () => {
    const a = tenantFileName('x'.repeat(511) + 'a');
    const b = tenantFileName('x'.repeat(511) + 'b');
    expect(a).not.toBe(b);
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(255);
    expect(tenantFileName('/'.repeat(512)).length).toBeLessThanOrEqual(255);
  });
});

function ev(n: number, tenantId = 't1'): SinkEvent {
  const r = record(n, tenantId);
  return { record: r, json: deliveredEventLine(r).slice(0, -1) };
}

const host = (eventsDir: string | undefined, tenantId = 't1') => ({ tenantId, sinkId: 's', eventsDir, stdout: process.stdout });

sinkConformance({
  name: 'file',
  unsupported: {
    throttle: 'a file system does not throttle',
    reject: 'a file takes any line',
    partial: 'an append is whole or fails whole',
    auth: 'the file sink has no credentials',
    hang: 'local file writes do not hang (a stuck disk is covered by the pipeline deadline)',
  },
  async start() {
    const root = mkdtempSync(path.join(tmpdir(), 'tsp-filesink-conf-'));
    const dir = path.join(root, 'events');
    const sinkFile = path.join(dir, tenantFileName('conformance-tenant'));
    return {
      sink: () => fileSinkPlugin.create({ id: 's', type: 'file' }, host(dir, 'conformance-tenant')),
      received: async () => {
        try {
          return readFileSync(sinkFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
        } catch {
          return [];
        }
      },
      inject: (f) => {
        // A regular file where the directory should be: every write fails until cleared.
        if (f.kind === 'unavailable') {
          rmSync(dir, { recursive: true, force: true });
          writeFileSync(dir, 'not a directory');
        }
      },
      clearFaults: () => {
        if (existsSync(dir) && !statSync(dir).isDirectory()) rmSync(dir);
      },
      secrets: [],
      stop: async () => rmSync(root, { recursive: true, force: true }),
    };
  },
});

describe('FileSink', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-filesink-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one delivered-shape JSON line per event, per tenant file', async () => {
    const sink = new FileSink(dir, 't1');
    expect(await sink.send([ev(0), ev(1)])).toEqual({ kind: 'delivered' });
    await sink.send([ev(2)]);
    const lines = readFileSync(sink.file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as { iclFields: { tspRayId: string } }).iclFields.tspRayId)).toEqual(['ray-0', 'ray-1', 'ray-2']);
    expect(JSON.parse(lines[0])).toEqual({ tenantId: 't1', timestamp: '2026-05-05T17:44:42.656Z', iclFields: { event: 'USER_LOGIN', requestingId: 'u1', tspRayId: 'ray-0' }, customFields: {} });
  });

  it('after a restart, a cut last line (kill mid-write) is closed so the next line stays whole', async () => {
    appendFileSync(path.join(dir, 't1.ndjson'), '{"tenantId":"t1","times');
    const sink = new FileSink(dir, 't1');
    await sink.send([ev(0)]);
    await sink.send([ev(1)]);
    const lines = readFileSync(sink.file, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('{"tenantId":"t1","times');
    expect(JSON.parse(lines[1])).toMatchObject({ iclFields: { tspRayId: 'ray-0' } });
    expect(JSON.parse(lines[2])).toMatchObject({ iclFields: { tspRayId: 'ray-1' } });
  });

  it('rotates past rotateBytes, keeps maxFiles rotated files, and loses no line', async () => {
    const one = Buffer.byteLength(ev(0).json) + 1;
    const sink = new FileSink(dir, 't1', { rotateBytes: one * 3, maxFiles: 2 });
    for (let i = 0; i < 10; i++) expect(await sink.send([ev(i)])).toEqual({ kind: 'delivered' });
    const read = (f: string): string[] => readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { iclFields: { tspRayId: string } }).iclFields.tspRayId);
    expect(read(sink.file)).toEqual(['ray-9']);
    expect(read(`${sink.file}.1`)).toEqual(['ray-6', 'ray-7', 'ray-8']);
    expect(read(`${sink.file}.2`)).toEqual(['ray-3', 'ray-4', 'ray-5']);
    expect(existsSync(`${sink.file}.3`)).toBe(false);
  });

  it('config: rotation settings only; a file sink needs the logdriver events directory', () => {
    expect(fileSinkPlugin.validate({ id: 'f', type: 'file', settings: { rotateBytes: 1000, maxFiles: 3 } }, { eventsDir: dir })).toEqual([]);
    expect(fileSinkPlugin.validate({ id: 'f', type: 'file', settings: { path: '/etc/passwd' } }, { eventsDir: dir })).toEqual([
      "logging.sinks[f].settings has unknown property 'path'",
    ]);
    expect(fileSinkPlugin.validate({ id: 'f', type: 'file', settings: { maxFiles: 0 } }, { eventsDir: dir })).toEqual([
      'logging.sinks[f].settings.maxFiles must be >= 1',
    ]);
    expect(fileSinkPlugin.validate({ id: 'f', type: 'file' }, { eventsDir: undefined })).toEqual([
      'logging.sinks[f] is a file sink, but this logdriver has no TSP_LOGDRIVER_EVENTS_DIR',
    ]);
  });
});
