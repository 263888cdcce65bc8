import { PassThrough, Writable } from 'node:stream';
import { sinkConformance } from '@tsp/sink-conformance';
import { stdoutSinkPlugin } from './stdout-sink';

const host = (out: NodeJS.WritableStream) => ({ tenantId: 't', sinkId: 's', eventsDir: undefined, stdout: out });

sinkConformance({
  name: 'stdout',
  unsupported: {
    throttle: 'a stream never throttles',
    reject: 'a stream never refuses a line',
    partial: 'a stream takes a write whole',
    auth: 'stdout has no credentials',
    unavailable: 'a stream that failed stays destroyed (tested below: a failed write is a retry)',
  },
  async start() {
    const lines: string[] = [];
    let fault: 'hang' | undefined;
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (fault === 'hang') return; // never calls back
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
        cb();
      },
    });
    return {
      sink: () => stdoutSinkPlugin.create({ id: 's', type: 'stdout' }, host(out)),
      received: async () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
      inject: (f) => {
        fault = f.kind === 'hang' ? f.kind : undefined;
      },
      clearFaults: () => {
        fault = undefined;
      },
      secrets: [],
      stop: async () => undefined,
    };
  },
});

describe('stdout sink config', () => {
  it('accepts no settings and names an unknown one', () => {
    expect(stdoutSinkPlugin.validate({ id: 'a', type: 'stdout' }, { eventsDir: undefined })).toEqual([]);
    expect(stdoutSinkPlugin.validate({ id: 'a', type: 'stdout', settings: { colour: true } }, { eventsDir: undefined })).toEqual([
      "logging.sinks[a].settings has unknown property 'colour'",
    ]);
  });

  it('a failed write (EPIPE) is a retry naming the code', async () => {
    const out = new Writable({ write: (_c, _e, cb) => cb(Object.assign(new Error('broken pipe'), { code: 'EPIPE' })) });
    out.on('error', () => undefined);
    const sink = stdoutSinkPlugin.create({ id: 's', type: 'stdout' }, host(out));
    const { conformanceEvents } = await import('@tsp/sink-conformance');
    expect(await sink.send(conformanceEvents(1), AbortSignal.timeout(1000))).toEqual({ kind: 'retry', reason: 'stdout write failed (EPIPE)' });
  });

  it('writes one line per event, each ending in a newline', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const sink = stdoutSinkPlugin.create({ id: 's', type: 'stdout' }, host(out));
    const { conformanceEvents } = await import('@tsp/sink-conformance');
    const events = conformanceEvents(2);
    await sink.send(events, AbortSignal.timeout(1000));
    expect(text).toBe(`${events[0].json}\n${events[1].json}\n`);
  });
});
