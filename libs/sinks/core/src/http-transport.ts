import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import axios from 'axios';

/** A remote answer as the sink needs it: status, Retry-After, body text (the first 64 KiB). */
export interface HttpAnswer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/**
 * One keep-alive connection pool per sink instance (http and https), trusting `caCertificate`
 * (PEM) in addition to the system CAs when given, without touching global state. Never uses a
 * proxy from the environment and never follows redirects (a redirect would carry the token).
 */
export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent: https.Agent;

  constructor(caCertificate: string | undefined, private readonly timeoutMs: number) {
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ...(caCertificate !== undefined ? { ca: [...rootCertificates, caCertificate] } : {}) });
  }

  /** POSTs `body`; rejects on a transport failure (map it with transportFailure), never on a status. */
  async post(url: string, body: Buffer | string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> {
    const res = await axios.post<string>(url, body, {
      headers,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      proxy: false,
      maxRedirects: 0,
      signal,
      timeout: this.timeoutMs,
      validateStatus: () => true,
      responseType: 'text',
      // The body goes as it is: axios would JSON-encode a string that is not one JSON document.
      transformRequest: [(d: unknown) => d],
      transformResponse: [(d: unknown) => d],
      maxBodyLength: Infinity,
      maxContentLength: 64 * 1024,
    });
    const ra = res.headers['retry-after'] as unknown;
    return { status: res.status, retryAfter: typeof ra === 'string' ? ra : undefined, body: typeof res.data === 'string' ? res.data : '' };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
