import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SecurityEventRecord } from '@tsp/events';
import { FileSink, tenantFileName } from './file-sink';

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

describe('FileSink', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-filesink-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one delivered-shape JSON line per event, per tenant file', async () => {
    const sink = new FileSink(dir);
    await sink.deliver('t1', [record(0), record(1)]);
    await sink.deliver('t1', [record(2)]);
    const lines = readFileSync(sink.fileOf('t1'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as { iclFields: { tspRayId: string } }).iclFields.tspRayId)).toEqual(['ray-0', 'ray-1', 'ray-2']);
    expect(JSON.parse(lines[0])).toEqual({ tenantId: 't1', timestamp: '2026-05-05T17:44:42.656Z', iclFields: { event: 'USER_LOGIN', requestingId: 'u1', tspRayId: 'ray-0' }, customFields: {} });
  });

  it('after a restart, a cut last line (kill mid-write) is closed so the next line stays whole', async () => {
    appendFileSync(path.join(dir, 't1.ndjson'), '{"tenantId":"t1","times');
    const sink = new FileSink(dir);
    await sink.deliver('t1', [record(0)]);
    await sink.deliver('t1', [record(1)]);
    const lines = readFileSync(sink.fileOf('t1'), 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe('{"tenantId":"t1","times');
    expect(JSON.parse(lines[1])).toMatchObject({ iclFields: { tspRayId: 'ray-0' } });
    expect(JSON.parse(lines[2])).toMatchObject({ iclFields: { tspRayId: 'ray-1' } });
  });

  it('rejects when the file cannot be written (the loop retries the batch)', async () => {
    const sink = new FileSink(dir);
    rmSync(dir, { recursive: true, force: true });
    await expect(sink.deliver('t1', [record(0)])).rejects.toThrow();
  });
});
