import { accessSync, constants, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { AUTOCANNON_CLI } from './options';
import { onCpu, ProcessRegistry, TrackedChild } from './child-processes';
import { LoadResult, parseWrkOutput } from './wrk-output';

export type { LoadResult } from './wrk-output';

/** One measured (or warm-up) run: POST `body` to `url` with `headers`, as fast as possible. */
export interface LoadSpec {
  url: string;
  body: string;
  headers: Readonly<Record<string, string>>;
  connections: number;
  threads: number;
  durationSeconds: number;
}

export interface LoadGenerator {
  readonly name: 'wrk' | 'autocannon';
  readonly version: string;
  run(spec: LoadSpec): Promise<LoadResult>;
}

/** Extra seconds a run may take beyond its duration before it is killed. */
const RUN_SLACK_SECONDS = 30;

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** wrk when installed (unless forced off), else autocannon in a child process. */
export function chooseLoadGenerator(
  reg: ProcessRegistry,
  workDir: string,
  opts: { forceAutocannon: boolean; cpu: number | undefined },
  note: (s: string) => void,
): LoadGenerator {
  const wrk = opts.forceAutocannon ? undefined : findOnPath('wrk');
  if (wrk !== undefined) return new WrkGenerator(reg, workDir, wrk, opts.cpu);
  if (!opts.forceAutocannon) {
    note('wrk not found; falling back to autocannon, which saturates sooner (for wrk: apt-get update && apt-get install -y wrk)');
  }
  return new AutocannonGenerator(reg, workDir, opts.cpu);
}

/** Whether `cmd` is an executable on PATH. */
export function onPath(cmd: string): boolean {
  return findOnPath(cmd) !== undefined;
}

/** Runs a child to completion within `timeoutMs`, returning its stdout. */
async function runChild(reg: ProcessRegistry, proc: TrackedChild, timeoutMs: number): Promise<string> {
  let out = '';
  proc.child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void reg.stop(proc, 2000);
  }, timeoutMs);
  const { code, signal } = await proc.exited;
  clearTimeout(timer);
  if (timedOut) throw new Error(`${proc.name} did not finish within ${timeoutMs} ms`);
  if (code !== 0) throw new Error(`${proc.name} failed (code ${String(code)}, signal ${String(signal)}):\n${proc.stderrTail()}${out}`);
  return out;
}

let scriptCounter = 0;

/** A long-bracket Lua string literal whose level does not occur in `s`. */
export function luaString(s: string): string {
  let eq = '';
  while (s.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[${s}]${eq}]`;
}

class WrkGenerator implements LoadGenerator {
  readonly name = 'wrk' as const;
  readonly version: string;

  constructor(
    private readonly reg: ProcessRegistry,
    private readonly workDir: string,
    private readonly bin: string,
    private readonly cpu: number | undefined,
  ) {
    // `wrk -v` prints "wrk 4.1.0 [epoll] Copyright ..." and exits 1.
    const v = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
    this.version = /wrk (\S+)/.exec(`${v.stdout}${v.stderr}`)?.[1] ?? 'unknown';
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    const script = path.join(this.workDir, `wrk-${++scriptCounter}.lua`);
    const lines = ['wrk.method = "POST"', `wrk.body = ${luaString(spec.body)}`];
    for (const [k, v] of Object.entries(spec.headers)) lines.push(`wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`);
    writeFileSync(script, lines.join('\n') + '\n', { mode: 0o600 });
    const args = [
      '-t', String(spec.threads),
      '-c', String(spec.connections),
      '-d', `${spec.durationSeconds}s`,
      '--timeout', '10s',
      '--latency',
      '-s', script,
      spec.url,
    ];
    const proc = this.reg.spawn('wrk', ...onCpu(this.cpu, this.bin, args), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await runChild(this.reg, proc, (spec.durationSeconds + RUN_SLACK_SECONDS) * 1000);
    return parseWrkOutput(out);
  }
}

class AutocannonGenerator implements LoadGenerator {
  readonly name = 'autocannon' as const;
  readonly version: string;

  constructor(private readonly reg: ProcessRegistry, private readonly workDir: string, private readonly cpu: number | undefined) {
    const v = spawnSync(process.execPath, [AUTOCANNON_CLI, '--version'], { encoding: 'utf8', timeout: 10_000 });
    this.version = /autocannon v?(\S+)/.exec(`${v.stdout}${v.stderr}`)?.[1] ?? 'unknown';
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    const bodyFile = path.join(this.workDir, `body-${++scriptCounter}.json`);
    writeFileSync(bodyFile, spec.body, { mode: 0o600 });
    const args = [AUTOCANNON_CLI, '-c', String(spec.connections), '-d', String(spec.durationSeconds), '-m', 'POST', '-i', bodyFile, '--json', '-n'];
    for (const [k, v] of Object.entries(spec.headers)) args.push('-H', `${k}=${v}`);
    args.push(spec.url);
    const proc = this.reg.spawn('autocannon', ...onCpu(this.cpu, process.execPath, args), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '' },
    });
    const out = await runChild(this.reg, proc, (spec.durationSeconds + RUN_SLACK_SECONDS) * 1000);
    return parseAutocannonJson(out);
  }
}

function field(v: unknown, ...keys: string[]): number {
  let cur = v;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) throw new Error(`autocannon JSON lacks ${keys.join('.')}`);
    cur = (cur as Record<string, unknown>)[k];
  }
  if (typeof cur !== 'number') throw new Error(`autocannon JSON: ${keys.join('.')} is not a number`);
  return cur;
}

/** Parses `autocannon --json` output (the last JSON line of stdout). Its latencies are whole ms. */
export function parseAutocannonJson(text: string): LoadResult {
  const line = text.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (line === undefined) throw new Error(`autocannon printed no JSON:\n${text}`);
  const j: unknown = JSON.parse(line);
  return {
    requests: field(j, 'requests', 'total'),
    seconds: field(j, 'duration'),
    requestsPerSecond: field(j, 'requests', 'average'),
    latencyP50Ms: field(j, 'latency', 'p50'),
    latencyP99Ms: field(j, 'latency', 'p99'),
    non2xx: field(j, 'non2xx'),
    socketErrors: field(j, 'errors') + field(j, 'timeouts'),
  };
}
