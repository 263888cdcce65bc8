import type { Sink } from '@tsp/sinks-core';

/**
 * Wraps a sink factory so that every sink it makes during a test is closed after that test
 * (registers an afterEach: call it inside a describe, or at the top level of a spec file).
 */
export function closedAfterEach<A extends unknown[]>(create: (...args: A) => Sink): (...args: A) => Sink {
  let sinks: Sink[] = [];
  afterEach(async () => {
    const open = sinks;
    sinks = [];
    await Promise.all(open.map((s) => s.close()));
  });
  return (...args) => {
    const s = create(...args);
    sinks.push(s);
    return s;
  };
}
