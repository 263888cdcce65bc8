/** What one measured run of a load generator produced. */
export interface LoadResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Responses with a status other than 2xx (wrk: "Non-2xx or 3xx responses", i.e. >= 400). */
  non2xx: number;
  /** Connect/read/write errors and timeouts. */
  socketErrors: number;
}

const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function toMs(value: string, unit: string): number {
  const f = TIME_UNITS_MS[unit];
  if (f === undefined) throw new Error(`wrk output: unknown time unit '${unit}'`);
  return Number(value) * f;
}

/**
 * Parses the text wrk 4.x prints with --latency. Precondition: the text has the summary
 * ("N requests in T", "Requests/sec:") and the latency distribution; otherwise throws.
 */
export function parseWrkOutput(text: string): LoadResult {
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m.exec(text);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const p50 = /^\s+50(?:\.000)?%\s+([\d.]+)(us|ms|s|m|h)\s*$/m.exec(text);
  const p99 = /^\s+99(?:\.000)?%\s+([\d.]+)(us|ms|s|m|h)\s*$/m.exec(text);
  if (total === null || rps === null || p50 === null || p99 === null) {
    throw new Error(`could not parse wrk output (did it run with --latency?):\n${text}`);
  }
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = sock === null ? 0 : sock.slice(1).reduce((a, s) => a + Number(s), 0);
  return {
    requests: Number(total[1]),
    seconds: toMs(total[2] ?? '0', total[3] ?? 's') / 1000,
    requestsPerSecond: Number(rps[1]),
    latencyP50Ms: toMs(p50[1] ?? '0', p50[2] ?? 'ms'),
    latencyP99Ms: toMs(p99[1] ?? '0', p99[2] ?? 'ms'),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
    socketErrors,
  };
}
