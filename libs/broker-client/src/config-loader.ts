import type { KeyObject } from 'node:crypto';
import {
  DocumentPayload,
  openTenants,
  OpenedTenant,
  verifyConfigDocument,
} from '@tsp/config-crypto';
import type { ConfigSource } from './config-source';

export interface LoadedConfig {
  sequence: number;
  issuedAt: string;
  tenants: OpenedTenant[];
}

export interface ConfigStatus {
  sequence: number;
  lastSuccessAt: number | undefined;
  lastAttemptAt: number | undefined;
  lastError: string | undefined;
  consecutiveFailures: number;
}

export interface ConfigLoaderOptions {
  source: ConfigSource;
  serviceAccountId: string;
  brokerPublicKey: KeyObject;
  /** The service account's X25519 key that opens sealed tenant parts. */
  encryptionKey: KeyObject;
  fetchTimeoutMs: number;
  /**
   * Seconds a long-poll waits for a change (0: no long-poll). With a source that supports it
   * (the broker), start() also runs a loop that keeps one long-poll open, so a change reaches
   * this process within about a second; the periodic refresh stays as the fallback.
   */
  longPollSeconds?: number;
  /** Applies a new config; must be atomic from the point of view of requests. */
  apply(config: LoadedConfig): void;
  onRefresh?(outcome: 'updated' | 'unchanged' | 'failed', error?: string): void;
}

/** Tenants opened per slice before yielding to the event loop, so requests keep flowing. */
const OPEN_SLICE = 500;

/**
 * Fetches, verifies, opens and applies the config document, at startup and on a timer.
 * At startup any failure is thrown (fatal); later a failure keeps the last good config and is
 * reported through status() and onRefresh. A document with a lower sequence than the one held
 * is refused (no rollback by replaying an old document).
 */
export class ConfigLoader {
  private etag: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pollAbort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private readonly state: ConfigStatus = {
    sequence: 0, lastSuccessAt: undefined, lastAttemptAt: undefined, lastError: undefined,
    consecutiveFailures: 0,
  };

  /** Whether the last failed fetch ran out of time (loadInitial retries those). */
  private lastFetchTimedOut = false;

  constructor(private readonly opts: ConfigLoaderOptions) {}

  status(): Readonly<ConfigStatus> {
    return { ...this.state };
  }

  /**
   * Startup load: throws with a clear message when the document cannot be had or trusted. A fetch
   * that ran out of time is tried twice more: a broker building a very large document for the
   * first time (about 20 s for 100,000 tenants) keeps building it and serves the retry from its
   * cache.
   */
  async loadInitial(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.refreshOnce(true);
        return;
      } catch (e) {
        if (!this.lastFetchTimedOut || attempt >= INITIAL_ATTEMPTS) throw e;
      }
    }
  }

  /** Starts periodic refresh (and the long-poll loop, see longPollSeconds). */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
    const wait = this.opts.longPollSeconds ?? 0;
    if (wait > 0 && this.opts.source.longPoll) {
      this.polling = true;
      void this.pollLoop(wait);
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.polling = false;
    this.pollAbort?.abort();
  }

  /** Keeps one long-poll open; after a failure waits 1 s, doubling up to 30 s. */
  private async pollLoop(waitSeconds: number): Promise<void> {
    let failures = 0;
    while (this.polling) {
      const cancel = new AbortController();
      this.pollAbort = cancel;
      await this.shared(() => this.refreshOnce(false, waitSeconds, cancel.signal));
      if (!this.polling) break;
      failures = this.state.consecutiveFailures === 0 ? 0 : failures + 1;
      if (failures > 0) await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5))).unref());
    }
  }

  /** One refresh now (joins one already running). Never throws. */
  refresh(): Promise<void> {
    return this.shared(() => this.refreshOnce(false));
  }

  /** Runs `fetchOnce` unless a fetch is running already (then joins it). Never throws. */
  private shared(fetchOnce: () => Promise<void>): Promise<void> {
    this.running ??= fetchOnce()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async refreshOnce(initial: boolean, waitSeconds?: number, cancel?: AbortSignal): Promise<void> {
    this.state.lastAttemptAt = Date.now();
    const deadline = AbortSignal.timeout(this.opts.fetchTimeoutMs + (waitSeconds ?? 0) * 1000);
    this.lastFetchTimedOut = false;
    try {
      const signal = cancel === undefined ? deadline : AbortSignal.any([deadline, cancel]);
      const fetched = await this.opts.source.fetch(this.etag, signal, waitSeconds);
      if (!fetched.changed) {
        this.succeeded();
        this.opts.onRefresh?.('unchanged');
        return;
      }
      const payload = verifyConfigDocument(fetched.text, this.opts.brokerPublicKey, this.opts.serviceAccountId);
      if (payload.sequence < this.state.sequence) {
        throw new Error(`config document sequence ${payload.sequence} is older than the loaded ${this.state.sequence}`);
      }
      const tenants = await openInSlices(payload, this.opts.encryptionKey);
      this.opts.apply({ sequence: payload.sequence, issuedAt: payload.issuedAt, tenants });
      this.etag = fetched.etag;
      this.state.sequence = payload.sequence;
      this.succeeded();
      this.opts.onRefresh?.('updated');
    } catch (e) {
      // A long-poll cancelled by stop() is not a failure of the source.
      if (cancel?.aborted === true) return;
      this.lastFetchTimedOut = deadline.aborted;
      const message = describe(e, this.opts.source.description);
      this.state.lastError = message;
      this.state.consecutiveFailures++;
      this.opts.onRefresh?.('failed', message);
      if (initial) throw new Error(message);
      throw e;
    }
  }

  private succeeded(): void {
    this.state.lastSuccessAt = Date.now();
    this.state.lastError = undefined;
    this.state.consecutiveFailures = 0;
  }
}

async function openInSlices(payload: DocumentPayload, key: KeyObject): Promise<OpenedTenant[]> {
  const entries = Object.entries(payload.tenants);
  const out: OpenedTenant[] = [];
  for (let i = 0; i < entries.length; i += OPEN_SLICE) {
    const slice = { ...payload, tenants: Object.fromEntries(entries.slice(i, i + OPEN_SLICE)) };
    out.push(...openTenants(slice, key));
    if (i + OPEN_SLICE < entries.length) await new Promise<void>((r) => setImmediate(r));
  }
  return out;
}

/** Attempts of the startup load when fetches run out of time. */
const INITIAL_ATTEMPTS = 3;

function describe(e: unknown, source: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  return `config from ${source}: ${msg}`;
}
