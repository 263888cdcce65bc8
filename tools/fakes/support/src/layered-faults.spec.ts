import { LayeredFaults, LayeredRule } from './layered-faults';

type Action = { type: 'latency'; ms: number } | { type: 'error'; code: number } | { type: 'drop' };
type Rule = LayeredRule<Action> & { op?: string };

describe('LayeredFaults', () => {
  it('adds up latency rules and lets the first other rule decide, consuming one use of each that applied', () => {
    const t = new LayeredFaults<Action, Rule>();
    t.add({ action: { type: 'latency', ms: 100 }, times: 1 });
    t.add({ action: { type: 'latency', ms: 50 } });
    t.add({ action: { type: 'error', code: 503 }, times: 1 });
    t.add({ action: { type: 'drop' }, times: 1 });
    expect(t.decide()).toEqual({ latencyMs: 150, terminal: { type: 'error', code: 503 } });
    // The drop did not apply (the error decided), so it kept its use.
    expect(t.decide()).toEqual({ latencyMs: 50, terminal: { type: 'drop' } });
    expect(t.decide()).toEqual({ latencyMs: 50, terminal: undefined });
    expect(t.list()).toEqual([{ action: { type: 'latency', ms: 50 } }]);
  });

  it('considers only the rules that match, and removes rules on demand', () => {
    const t = new LayeredFaults<Action, Rule>();
    t.add({ op: 'put', action: { type: 'error', code: 400 }, times: 2 });
    t.add({ op: 'get', action: { type: 'drop' } });
    expect(t.decide((r) => r.op === 'get').terminal).toEqual({ type: 'drop' });
    expect(t.list()[0]).toEqual({ op: 'put', action: { type: 'error', code: 400 }, times: 2 });
    expect(t.remove((r) => r.op === 'get')).toBe(true);
    expect(t.remove((r) => r.op === 'get')).toBe(false);
    expect(t.decide((r) => r.op === 'put').terminal).toEqual({ type: 'error', code: 400 });
    t.clear();
    expect(t.decide()).toEqual({ latencyMs: 0, terminal: undefined });
  });
});
