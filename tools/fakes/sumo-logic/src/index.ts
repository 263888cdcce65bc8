/**
 * A loopback fake of a Sumo Logic HTTP Logs source, on 127.0.0.1 (http, or https with a
 * self-signed certificate from @tsp/fake-azure-keyvault's generateLoopbackCertificate).
 *
 * Wire protocol: POST /receiver/v1/http/<token> (the URL is the credential), newline-delimited
 * log lines, Content-Encoding gzip or deflate, metadata headers X-Sumo-Category, X-Sumo-Name,
 * X-Sumo-Host. Answers as Sumo documents them: 200; 401 unknown (or deleted/regenerated) URL
 * token; 408; 429 throttling (Retry-After when asked); 503; 504; 413 over the 1 MB payload.
 *
 * Faults (options.faults, addFault, POST /_fake/faults): throttle, unavailable, gateway-timeout,
 * timeout, too-large, drop, hang, and latencyMs, per request with `times`.
 * GET|DELETE /_fake/received. Run: node dist/tools/fakes/sumo-logic/main.js --port 9090 [--token T]
 */
export * from './fake-server';
export * from './faults';
