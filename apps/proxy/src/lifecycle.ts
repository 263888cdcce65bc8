/** The proxy's state as health endpoints report it. */
export type LifecycleState = 'starting' | 'serving' | 'shutting-down';

export class Lifecycle {
  state: LifecycleState = 'starting';
}
