import { luaString, parseAutocannonJson } from './load-generator';
import { readOptions } from './options';
import { parseWrkOutput } from './wrk-output';

// Output of wrk 4.1.0 (Debian) with --latency, captured on this machine.
const WRK_OK = `Running 1s test @ http://127.0.0.1:18557/x
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.64ms   16.33ms 171.78ms   95.32%
    Req/Sec    10.63k     4.33k   14.10k    75.00%
  Latency Distribution
     50%    1.88ms
     75%    2.24ms
     90%    5.17ms
     99%   99.81ms
  21132 requests in 1.00s, 5.38MB read
Requests/sec:  21104.40
Transfer/sec:      5.37MB
`;

const WRK_ERRORS = `Running 1s test @ http://127.0.0.1:18557/x
  1 threads and 5 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   334.34us  364.97us   5.89ms   95.86%
    Req/Sec    17.52k     4.45k   20.41k    81.82%
  Latency Distribution
     50%  240.00us
     75%  278.00us
     90%  471.00us
     99%    2.18s
  19178 requests in 1.10s, 4.35MB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 19178
Requests/sec:  17436.81
Transfer/sec:      3.96MB
`;

describe('parseWrkOutput', () => {
  it('reads rate, count, duration and the p50/p99 latencies in ms', () => {
    expect(parseWrkOutput(WRK_OK)).toEqual({
      requests: 21132,
      seconds: 1,
      requestsPerSecond: 21104.4,
      latencyP50Ms: 1.88,
      latencyP99Ms: 99.81,
      non2xx: 0,
      socketErrors: 0,
    });
  });

  it('converts us and s, and counts non-2xx responses and socket errors', () => {
    const r = parseWrkOutput(WRK_ERRORS);
    expect(r.latencyP50Ms).toBeCloseTo(0.24, 6);
    expect(r.latencyP99Ms).toBe(2180);
    expect(r.non2xx).toBe(19178);
    expect(r.socketErrors).toBe(6);
    expect(r.seconds).toBeCloseTo(1.1, 6);
  });

  it('refuses output without the latency distribution', () => {
    expect(() => parseWrkOutput(WRK_OK.replace(/^\s+99%.*$/m, ''))).toThrow(/--latency/);
  });
});

describe('parseAutocannonJson', () => {
  it('reads the aggregated JSON of autocannon 8', () => {
    const json = JSON.stringify({
      duration: 1.03,
      errors: 1,
      timeouts: 2,
      non2xx: 3,
      latency: { p50: 4, p99: 12 },
      requests: { average: 11580, total: 11583 },
    });
    expect(parseAutocannonJson(`noise\n${json}\n`)).toEqual({
      requests: 11583,
      seconds: 1.03,
      requestsPerSecond: 11580,
      latencyP50Ms: 4,
      latencyP99Ms: 12,
      non2xx: 3,
      socketErrors: 3,
    });
  });

  it('names a missing field', () => {
    expect(() => parseAutocannonJson('{"duration":1}')).toThrow(/requests\.total/);
  });
});

describe('luaString', () => {
  it('picks a long-bracket level that the text does not close', () => {
    expect(luaString('{"a":1}')).toBe('[[{"a":1}]]');
    expect(luaString('x]]y')).toBe('[=[x]]y]=]');
    expect(luaString('x]]y]=]z')).toBe('[==[x]]y]=]z]==]');
  });
});

describe('readOptions', () => {
  it('has the documented defaults', () => {
    const o = readOptions({});
    expect([o.durationSeconds, o.connections, o.threads, o.tenants, o.skipMemory]).toEqual([10, 50, 2, 100000, false]);
  });

  it('names every bad variable', () => {
    let message = '';
    try {
      readOptions({ BENCH_DURATION: '0', BENCH_TENANTS: 'many', BENCH_LOAD_GENERATOR: 'ab' });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const name of ['BENCH_DURATION', 'BENCH_TENANTS', 'BENCH_LOAD_GENERATOR']) expect(message).toContain(name);
  });
});
