import type { TrackedChild } from './child-processes';
import type { LoadGenerator, LoadResult, LoadSpec } from './load-generator';
import type { BenchOptions } from './options';
import type { ScenarioResult } from './report';
import { postOnce, Scenario } from './scenarios';

/** Called right before and right after the measured run (not the warm-up). */
export interface MeasureHooks {
  begin(): void;
  end(): void;
}

export type RawResult = Omit<ScenarioResult, 'ratioVsBaseline'>;

/** A server a scenario's load goes to: its base URL, and its process (checked alive after the run). */
export interface LoadTarget {
  baseUrl: string;
  server: TrackedChild;
}

/**
 * One scenario: one checked request, a warm-up, then the measured run. The row is `ok` only
 * when the check passed, every response was 2xx, no socket errors, and the server stayed up.
 */
export async function runScenario(
  gen: LoadGenerator,
  opts: BenchOptions,
  s: Scenario,
  baseUrl: string,
  server: TrackedChild,
  headers: Readonly<Record<string, string>>,
  note: (s: string) => void,
  extra: { connections?: number; hooks?: MeasureHooks } = {},
): Promise<RawResult> {
  return runScenarioSplit(gen, opts, s, [{ baseUrl, server }], headers, note, extra);
}

/**
 * The same scenario against several independent servers at once: the connections (and wrk
 * threads) split evenly between them, one load generator run per server, all started together,
 * for the warm-up and for the measured run (the hooks bracket all of them); the results merged
 * (mergeLoadResults: rates summed). Each server gets the one checked request; the row is `ok`
 * only when every check passed and every server stayed up. With one target: runScenario.
 */
export async function runScenarioSplit(
  gen: LoadGenerator,
  opts: BenchOptions,
  s: Scenario,
  targets: readonly LoadTarget[],
  headers: Readonly<Record<string, string>>,
  note: (s: string) => void,
  extra: { connections?: number; hooks?: MeasureHooks } = {},
): Promise<RawResult> {
  const connections = extra.connections ?? opts.connections;
  if (targets.length === 0 || connections < targets.length) {
    throw new Error(`${s.label}: ${connections} connections cannot be split between ${targets.length} servers`);
  }
  let checkProblem: string | null = null;
  for (const t of targets) {
    const once = await postOnce(`${t.baseUrl}${s.path}`, headers, s.body);
    checkProblem ??= s.check(once.status, once.body) ?? null;
  }
  const perTarget = splitEvenly(connections, targets.length);
  const threads = splitEvenly(Math.max(opts.threads, targets.length), targets.length);
  const specs: LoadSpec[] = targets.map((t, i) => {
    const c = perTarget[i] ?? 1;
    return { url: `${t.baseUrl}${s.path}`, body: s.body, headers, connections: c, threads: Math.min(threads[i] ?? 1, c), durationSeconds: opts.durationSeconds };
  });
  const runAll = async (durationSeconds: number): Promise<LoadResult> =>
    mergeLoadResults(await Promise.all(specs.map((spec) => gen.run({ ...spec, durationSeconds }))));
  const split = targets.length > 1 ? ` split between ${targets.length} servers` : '';
  if (opts.warmupSeconds > 0) {
    note(`${s.label}: warm-up ${opts.warmupSeconds} s`);
    await runAll(opts.warmupSeconds);
  }
  note(`${s.label}: measuring ${opts.durationSeconds} s (${connections} connections${split})`);
  extra.hooks?.begin();
  const r = await runAll(opts.durationSeconds);
  extra.hooks?.end();
  let alive = true;
  for (const t of targets) {
    if (t.server.hasExited()) {
      alive = false;
      note(`${s.label}: ${t.server.name} exited during the run:\n${t.server.stderrTail()}`);
    }
  }
  return {
    ...r,
    id: s.id,
    label: s.label,
    target: s.target,
    path: s.path,
    tenantId: s.tenantId,
    docsPerRequest: s.docsPerRequest,
    documentsPerSecond: r.requestsPerSecond * s.docsPerRequest,
    connections,
    checkProblem,
    ok: alive && checkProblem === null && r.non2xx === 0 && r.socketErrors === 0 && r.requests > 0,
  };
}

/** `total` split into `parts` whole shares as equal as possible, the larger ones first (50, 2: [25, 25]; 5, 2: [3, 2]). */
export function splitEvenly(total: number, parts: number): number[] {
  if (!Number.isInteger(total) || !Number.isInteger(parts) || parts < 1 || total < 0) {
    throw new Error(`cannot split ${total} into ${parts} parts`);
  }
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

/**
 * Concurrent load generator runs as one: requests, non-2xx and socket errors summed, rates
 * summed (each run's own requests per its own second), seconds the longest run's. Latency
 * percentiles cannot be merged from percentiles alone: each is the larger of the runs' (an upper
 * bound of the percentile over all requests; a lower bound would be the smaller). One run: itself.
 */
export function mergeLoadResults(runs: readonly LoadResult[]): LoadResult {
  const [first, ...rest] = runs;
  if (first === undefined) throw new Error('no load generator results to merge');
  return rest.reduce<LoadResult>(
    (a, b) => ({
      requests: a.requests + b.requests,
      seconds: Math.max(a.seconds, b.seconds),
      requestsPerSecond: a.requestsPerSecond + b.requestsPerSecond,
      latencyP50Ms: Math.max(a.latencyP50Ms, b.latencyP50Ms),
      latencyP99Ms: Math.max(a.latencyP99Ms, b.latencyP99Ms),
      non2xx: a.non2xx + b.non2xx,
      socketErrors: a.socketErrors + b.socketErrors,
    }),
    { ...first },
  );
}
