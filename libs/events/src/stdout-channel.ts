import { once } from 'node:events';
import type { EventChannel } from './event-queue';
import { deliveredEventLine, SecurityEventRecord } from './security-event';

/**
 * Writes each event as one JSON line (the delivered shape) to a stream, stdout by default:
 * what the proxy does while no logdriver channel is configured, and what the original does for
 * tenants without a logging config. Honors back-pressure.
 */
export class StreamEventChannel implements EventChannel {
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  async send(batch: readonly SecurityEventRecord[]): Promise<void> {
    let text = '';
    for (const e of batch) text += deliveredEventLine(e);
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}

/** Discards events (counted by the queue as sent). For benchmarks that measure without events. */
export class NullEventChannel implements EventChannel {
  async send(): Promise<void> {
    /* discard */
  }
}
