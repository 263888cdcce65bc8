import type { IncomingMessage } from 'node:http';

/** What a fake did with a request it must not answer. */
export type SilentOutcome = 'hung' | 'dropped';

/**
 * Acts out the two faults that give no answer at all, whatever the service: 'drop' destroys the
 * connection (the client sees a reset), 'hang' reads the request to its end and never answers
 * (the fake's stop() closes the connection). Any other kind is left to the caller: undefined.
 */
export function actOutSilentFault(kind: string | undefined, req: IncomingMessage): SilentOutcome | undefined {
  if (kind === 'drop') {
    req.socket.destroy();
    return 'dropped';
  }
  if (kind === 'hang') {
    req.resume();
    return 'hung';
  }
  return undefined;
}
