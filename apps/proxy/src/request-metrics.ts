import type { Counter, Histogram } from 'prom-client';
import type { ProxyMetrics } from '@tsp/observability';

const MAX_CLIENT_SERIES = 64;
const CLEAN = /[^A-Za-z0-9._-]/g;

/**
 * Request metrics with label children bound once per label set (no per-request label hashing).
 * Client language/version come from headers: cleaned, shortened and capped in number so a
 * client cannot blow up the series count.
 */
export class RequestMetrics {
  private readonly counters = new Map<string, Counter.Internal>();
  private readonly histograms = new Map<string, Histogram.Internal<'route'>>();
  private readonly clients = new Map<string, Counter.Internal>();

  constructor(private readonly m: ProxyMetrics) {}

  observe(route: string, status: number, code: number, seconds: number): void {
    const key = `${route}|${status}|${code}`;
    let c = this.counters.get(key);
    if (c === undefined) {
      c = this.m.requests.labels({ route, status: String(status), code: String(code) });
      this.counters.set(key, c);
    }
    c.inc();
    let h = this.histograms.get(route);
    if (h === undefined) {
      h = this.m.latency.labels({ route });
      this.histograms.set(route, h);
    }
    h.observe(seconds);
  }

  client(language: string | string[] | undefined, version: string | string[] | undefined): void {
    if (language === undefined && version === undefined) return;
    const key = `${String(language)}|${String(version)}`;
    let c = this.clients.get(key);
    if (c === undefined) {
      const full = this.clients.size >= MAX_CLIENT_SERIES;
      c = this.m.clients.labels({
        language: full ? 'other' : clean(language),
        version: full ? 'other' : clean(version),
      });
      if (!full) this.clients.set(key, c);
    }
    c.inc();
  }
}

function clean(v: string | string[] | undefined): string {
  if (v === undefined) return 'unknown';
  return (Array.isArray(v) ? v[0] : v).replace(CLEAN, '').slice(0, 32) || 'unknown';
}
