import { Writable } from 'node:stream';
import { LineGroupedWriter } from './line-grouped-writer';

/** Records each write the way a pipe would receive it. */
function sink(): { out: Writable; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { out, writes };
}

const line = (n: number, fill: string): string => `${JSON.stringify({ n, pad: fill.repeat(n) })}\n`;

test('whole lines, grouped into writes of at most 4096 bytes, in order', async () => {
  const { out, writes } = sink();
  const w = new LineGroupedWriter(out);
  const lines = Array.from({ length: 50 }, (_, i) => line(100 + i * 7, 'x'));
  await new Promise<void>((r) => w.write(lines.join(''), () => r()));
  expect(writes.join('')).toBe(lines.join(''));
  expect(writes.length).toBeGreaterThan(1);
  for (const chunk of writes) {
    expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(4096);
    expect(chunk.endsWith('\n')).toBe(true);
  }
});

test('a line longer than 4096 bytes (multi-byte text counted in bytes) is written alone', async () => {
  const { out, writes } = sink();
  const w = new LineGroupedWriter(out);
  const small = line(10, 'a');
  const big = line(2100, 'é'); // 4200 bytes, though only about 2100 characters
  const huge = line(5000, 'z');
  await new Promise<void>((r) => w.write(small + big + huge + small, () => r()));
  expect(writes).toEqual([small, big, huge, small]);
});
