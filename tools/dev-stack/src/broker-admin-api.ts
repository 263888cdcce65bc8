/**
 * The broker's vendor-admin API as a user's script calls it (`Authorization: Bearer <admin
 * token>`, JSON). Errors name the method, the route, the status and the broker's message, which
 * never carries a value; the token is never part of an error.
 */
export interface AdminAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class BrokerAdminApi {
  constructor(
    /** e.g. http://127.0.0.1:9500, without a trailing slash. */
    private readonly baseUrl: string,
    private readonly adminToken: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Any answer, whatever its status. */
  async request(method: string, route: string, body?: unknown): Promise<AdminAnswer> {
    const res = await fetch(`${this.baseUrl}/api/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    if (text !== '') {
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = { message: 'answer is not JSON' };
      }
    }
    return { status: res.status, body: parsed };
  }

  /** The answer when its status is one of `accepted`; otherwise throws a clear error. */
  async expect(method: string, route: string, accepted: readonly number[], body?: unknown): Promise<AdminAnswer> {
    const a = await this.request(method, route, body);
    if (!accepted.includes(a.status)) {
      const message = typeof a.body['message'] === 'string' ? `: ${a.body['message']}` : '';
      throw new Error(`broker admin API: ${method} /api/v1${route} answered ${a.status}${message}`);
    }
    return a;
  }
}

/** Whether the broker answers /live (within a second). */
export async function brokerLive(baseUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/live`, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false;
  }
}
