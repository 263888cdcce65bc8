import type { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Sink } from '@tsp/sinks-core';
import { conformanceEvents } from './conformance';
import { expectNoSecret } from './expect-no-secret';

/** A loopback server certificate (PEM) signed by its own private CA; `cert` is also that CA's certificate. */
export interface PrivateCaCertificate {
  cert: string;
  key: string;
}

/** A backend served over https with a certificate from a private CA (see privateCaConformance). */
export interface PrivateCaBackend {
  /**
   * A sink for this backend with `settings` (either `{}` or `{ caCertificate }`) added to its
   * settings. Precondition: the sink keeps its HttpTransport in a field named `transport` (the
   * test reads the CA list of its https pool), as HttpSink does.
   */
  sink(settings: { caCertificate?: string }): Sink;
  /** How many events the backend has stored so far. */
  storedCount(): number | Promise<number>;
  stop(): Promise<void>;
}

export interface PrivateCaHarness {
  /** The sink type, as it names the service in transport reasons (`<name> unreachable (...)`). */
  name: string;
  /** Every credential string the configs hold: none may appear in an outcome. */
  secrets: readonly string[];
  /** Makes a fresh loopback certificate with its own CA (generateLoopbackCertificate of the fakes). */
  certificate(): PrivateCaCertificate;
  /** Starts a fresh backend serving https with `tls` (stopped by the test). */
  start(tls: PrivateCaCertificate): Promise<PrivateCaBackend>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Registers the private-CA test of an HTTP sink (call at the top level of a spec file): with
 * settings.caCertificate set to the backend's CA a batch is delivered; without a private CA, and
 * with another CA, the send is a transport retry naming a certificate error, stores nothing and
 * holds no secret; the sink's https pool trusts the system roots plus the private CA, never the
 * private CA alone.
 */
export function privateCaConformance(h: PrivateCaHarness): void {
  const refusal = new RegExp(`^${escapeRegExp(h.name)} unreachable \\(.*(CERT|SELF_SIGNED|VERIFY)`);

  describe(`${h.name} sink over https with a private CA`, () => {
    it('trusts settings.caCertificate in addition to the system roots; another CA or none is refused', async () => {
      const tls = h.certificate();
      const backend = await h.start(tls);
      const trusting = backend.sink({ caCertificate: tls.cert });
      const refused = [backend.sink({}), backend.sink({ caCertificate: h.certificate().cert })];
      try {
        expect(await trusting.send(conformanceEvents(1), AbortSignal.timeout(10_000))).toEqual({ kind: 'delivered' });
        for (const sink of refused) {
          const outcome = await sink.send(conformanceEvents(1), AbortSignal.timeout(10_000));
          expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(refusal) });
          expectNoSecret(outcome, h.secrets);
        }
        expect(await backend.storedCount()).toBe(1);
        const agent = Reflect.get(Reflect.get(trusting, 'transport') as object, 'httpsAgent') as Agent;
        expect(agent.options.ca).toEqual([...rootCertificates, tls.cert]);
      } finally {
        await Promise.all([trusting, ...refused].map((s) => s.close()));
        await backend.stop();
      }
    });
  });
}
