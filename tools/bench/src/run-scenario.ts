import type { TrackedChild } from './child-processes';
import type { LoadGenerator } from './load-generator';
import type { BenchOptions } from './options';
import type { ScenarioResult } from './report';
import { postOnce, Scenario } from './scenarios';

/** Called right before and right after the measured run (not the warm-up). */
export interface MeasureHooks {
  begin(): void;
  end(): void;
}

export type RawResult = Omit<ScenarioResult, 'ratioVsBaseline'>;

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
  const url = `${baseUrl}${s.path}`;
  const once = await postOnce(url, headers, s.body);
  const checkProblem = s.check(once.status, once.body) ?? null;
  const connections = extra.connections ?? opts.connections;
  const spec = { url, body: s.body, headers, connections, threads: Math.min(opts.threads, connections), durationSeconds: opts.durationSeconds };
  if (opts.warmupSeconds > 0) {
    note(`${s.label}: warm-up ${opts.warmupSeconds} s`);
    await gen.run({ ...spec, durationSeconds: opts.warmupSeconds });
  }
  note(`${s.label}: measuring ${opts.durationSeconds} s (${connections} connections)`);
  extra.hooks?.begin();
  const r = await gen.run(spec);
  extra.hooks?.end();
  const alive = !server.hasExited();
  if (!alive) note(`${s.label}: the server exited during the run:\n${server.stderrTail()}`);
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
