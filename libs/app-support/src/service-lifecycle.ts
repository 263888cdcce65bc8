import type { Logger } from '@tsp/observability';

export interface ServiceLifecycle {
  /** Log name: "<name> serving", "<name> failed to start". */
  name: string;
  logger: Logger;
  shutdownTimeoutMs: number;
  /** Starts serving; returns the fields of the "serving" log line. */
  start(): Promise<Record<string, unknown>>;
  shutdown(): Promise<void>;
  /** Logged after a graceful shutdown, before exit 0. */
  stoppedMessage?: string;
}

/**
 * The process side of an app: starts it, and on SIGTERM/SIGINT shuts it down gracefully and
 * exits 0 (or 1 when shutdown fails or outlasts its timeout). A failed start is logged, the
 * partial runtime shut down, and the process exits 1.
 */
export async function runService(s: ServiceLifecycle): Promise<void> {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    s.logger.info('shutting down', { signal });
    const force = setTimeout(() => {
      s.logger.error('graceful shutdown timed out; exiting', { timeoutMs: s.shutdownTimeoutMs });
      process.exit(1);
    }, s.shutdownTimeoutMs);
    force.unref();
    s.shutdown().then(
      () => {
        if (s.stoppedMessage !== undefined) s.logger.info(s.stoppedMessage);
        process.exit(0);
      },
      (e: unknown) => {
        s.logger.error('shutdown failed', { error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    s.logger.info(`${s.name} serving`, await s.start());
  } catch (e) {
    s.logger.error(`${s.name} failed to start`, { error: (e as Error).message });
    await s.shutdown().catch(() => undefined);
    process.exit(1);
  }
}
