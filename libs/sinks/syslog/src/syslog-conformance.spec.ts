import { sinkConformance } from '@tsp/sink-conformance';
import { startRsyslog } from '@tsp/test-support';
import { syslogSinkPlugin } from './syslog-sink';
import { deliveredOf, silentServer, syslogConfig } from './syslog-test-backend';

const host = { tenantId: 'conformance-tenant', sinkId: 'sys', eventsDir: undefined, stdout: process.stdout };

const NO_THROTTLE = 'syslog has no throttling answer: the protocol sends nothing back';
const NO_REJECT = 'syslog has no refusal answer: a server drops what it cannot parse without telling (oversize messages are rejected by the sink itself, tested in syslog-sink.spec.ts)';
const NO_PARTIAL = 'syslog has no item-level answer (oversize items give partial from the sink itself, tested in syslog-sink.spec.ts)';

for (const transport of ['tcp', 'tls'] as const) {
  sinkConformance({
    name: `syslog (${transport}, real rsyslogd)`,
    unsupported: {
      throttle: NO_THROTTLE,
      reject: NO_REJECT,
      partial: NO_PARTIAL,
      ...(transport === 'tcp'
        ? {
            auth: 'plain TCP syslog has no credentials (client certificates are tested in the tls variant)',
            hang: 'a TCP peer that never reads still takes a small batch into the socket buffers and syslog has no acknowledgement to wait for; tested with a batch that fills the buffers in syslog-sink.spec.ts, and by the tls variant (handshake never completes)',
          }
        : {}),
    },
    async start() {
      const rsyslog = await startRsyslog();
      const hang = await silentServer();
      let fault: 'unavailable' | 'hang' | undefined;
      // inject/clearFaults are synchronous; stopping or restarting rsyslogd is not: every send
      // of the harness's sinks first waits for the last transition to finish.
      let transition: Promise<void> = Promise.resolve();
      // The tls variant uses the listener that requires a client certificate issued by the test CA.
      const listener = transport === 'tcp' ? 'tcp' : 'mtls';
      return {
        sink: (opts) => {
          const config = syslogConfig(rsyslog, listener, { rogue: opts?.badCredentials === true, ...(fault === 'hang' ? { port: hang.port } : {}) });
          const sink = syslogSinkPlugin.create(config, host);
          return {
            type: sink.type,
            send: async (batch, signal) => {
              await transition;
              return sink.send(batch, signal);
            },
            close: () => sink.close(),
          };
        },
        received: async () => (await rsyslog.received()).map(deliveredOf),
        inject: (f) => {
          if (f.kind === 'unavailable') {
            fault = 'unavailable';
            transition = transition.then(() => rsyslog.stop());
          } else if (f.kind === 'hang') fault = 'hang';
          else throw new Error(`syslog cannot produce fault ${f.kind}`);
        },
        clearFaults: () => {
          if (fault === 'unavailable') transition = transition.then(() => rsyslog.restart());
          fault = undefined;
        },
        secrets: [rsyslog.certificates.clientKey, rsyslog.certificates.rogueClientKey],
        stop: async () => {
          await transition;
          await hang.stop();
          await rsyslog.dispose();
        },
      };
    },
  });
}
