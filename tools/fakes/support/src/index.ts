/**
 * The plumbing the loopback fakes in tools/fakes share (not their wire protocols, answers or
 * fault semantics, which stay in each fake): reading request bodies with a limit, JSON answers,
 * a 127.0.0.1 server whose stop() closes every connection, latency timers, the faults that give
 * no answer, two fault-rule tables (first match wins / latency layered on a fault), control-route
 * helpers and rule validation, the self-signed loopback certificate, the command-line frame of
 * each fake's main.ts, and requestLoopback / startFakeProcess for specs.
 */
export * from './request-body';
export * from './json-answer';
export * from './loopback-server';
export * from './latency';
export * from './silent-fault';
export * from './first-match-faults';
export * from './layered-faults';
export * from './rule-checks';
export * from './control-routes';
export * from './loopback-certificate';
export * from './fake-cli';
export * from './loopback-request';
export * from './fake-process';
