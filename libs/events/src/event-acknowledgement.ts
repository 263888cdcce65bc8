/** Why an event a caller waits for (EventQueue.enqueueAndWait) was not acknowledged. */
export type NotAcknowledgedReason = 'queue-full' | 'timeout' | 'dropped' | 'closed' | 'refused';

/**
 * The rejection of EventQueue.enqueueAndWait. `reason` is one of a fixed set (a metrics label);
 * the message is a fixed sentence plus the timeout, never event content.
 */
export class EventNotAcknowledged extends Error {
  constructor(readonly reason: NotAcknowledgedReason, message: string) {
    super(message);
    this.name = 'EventNotAcknowledged';
  }
}
