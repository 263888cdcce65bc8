import { sleep, TrackedChild } from './child-processes';

/** The sum of a Prometheus metric over all its label sets, from /metrics text. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Waits until `url` answers 200 (30 s at most); fails at once, with its stderr, if the child exits. */
export async function waitForReady(url: string, child: TrackedChild, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.hasExited()) throw new Error(`${what} exited during startup:\n${child.stderrTail()}`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within 30 s`);
    if (await fetch(url).then((r) => r.status === 200, () => false)) return;
    await sleep(100);
  }
}
