import type { ProxyMetrics } from '@tsp/observability';

const MAX_CLIENT_SERIES = 64;
const CLEAN = /[^A-Za-z0-9._-]/g;

interface RouteRecorder {
  count(): void;
  observe(seconds: number): void;
}

/**
 * Request metrics with one recorder per label set, made on first use: the hot path does one
 * Map lookup and two closure calls. Client language/version come from headers: cleaned,
 * shortened and capped in number so a client cannot blow up the series count.
 */
export class RequestMetrics {
  private readonly recorders = new Map<string, RouteRecorder>();
  private readonly observers = new Map<string, (seconds: number) => void>();
  private readonly clients = new Map<string, () => void>();

  constructor(private readonly m: ProxyMetrics) {}

  observe(route: string, status: number, code: number, seconds: number): void {
    const key = status === 200 ? route : `${route}|${status}|${code}`;
    let r = this.recorders.get(key);
    if (r === undefined) {
      r = { count: this.m.requests.child({ route, status: String(status), code: String(code) }), observe: this.observer(route) };
      this.recorders.set(key, r);
    }
    r.count();
    r.observe(seconds);
  }

  private observer(route: string): (seconds: number) => void {
    let o = this.observers.get(route);
    if (o === undefined) {
      o = this.m.latency.child({ route });
      this.observers.set(route, o);
    }
    return o;
  }

  client(language: string | string[] | undefined, version: string | string[] | undefined): void {
    if (language === undefined && version === undefined) return;
    const key = `${String(language)}|${String(version)}`;
    let c = this.clients.get(key);
    if (c === undefined) {
      const full = this.clients.size >= MAX_CLIENT_SERIES;
      c = this.m.clients.child({
        language: full ? 'other' : clean(language),
        version: full ? 'other' : clean(version),
      });
      if (!full) this.clients.set(key, c);
    }
    c();
  }
}

function clean(v: string | string[] | undefined): string {
  if (v === undefined) return 'unknown';
  return (Array.isArray(v) ? v[0] : v).replace(CLEAN, '').slice(0, 32) || 'unknown';
}
