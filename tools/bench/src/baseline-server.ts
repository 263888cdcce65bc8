import { BASELINE_SCRIPT } from './options';
import { onCpu, ProcessRegistry, TrackedChild } from './child-processes';

export interface BaselineServer {
  url: string;
  proc: TrackedChild;
}

/**
 * Starts tools/bench/baseline-server.cjs (bare node:http, JSON in, ~100 bytes of JSON out) in a
 * child process on a free loopback port, which it reports on stdout.
 */
export async function startBaselineServer(reg: ProcessRegistry, cpu: number | undefined, timeoutMs = 10_000): Promise<BaselineServer> {
  const proc = reg.spawn('baseline node:http', ...onCpu(cpu, process.execPath, [BASELINE_SCRIPT, '0']), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`baseline server did not report its port within ${timeoutMs} ms`)), timeoutMs);
    proc.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void proc.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`baseline server exited (code ${String(code)}): ${proc.stderrTail()}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, proc };
}
