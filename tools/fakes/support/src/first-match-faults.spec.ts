import { FirstMatchFaults } from './first-match-faults';

interface Rule {
  fault: string;
  op?: string;
  times?: number;
}

describe('FirstMatchFaults', () => {
  it('applies the first rule, using up a counted one after its times', () => {
    const t = new FirstMatchFaults<Rule>();
    t.add({ fault: 'a', times: 2 });
    t.add({ fault: 'b' });
    expect([t.next()?.fault, t.next()?.fault, t.next()?.fault, t.next()?.fault]).toEqual(['a', 'a', 'b', 'b']);
    expect(t.list()).toEqual([{ fault: 'b' }]);
  });

  it('applies the first rule that matches, leaving the others untouched', () => {
    const t = new FirstMatchFaults<Rule>();
    t.add({ fault: 'for-get', op: 'get', times: 1 });
    t.add({ fault: 'for-any', times: 3 });
    expect(t.next((r) => r.op === undefined || r.op === 'put')?.fault).toBe('for-any');
    expect(t.list()).toEqual([
      { fault: 'for-get', op: 'get', times: 1 },
      { fault: 'for-any', times: 2 },
    ]);
    expect(t.next((r) => r.op === undefined || r.op === 'get')?.fault).toBe('for-get');
    expect(t.list()).toEqual([{ fault: 'for-any', times: 2 }]);
    expect(t.next(() => false)).toBeUndefined();
  });

  it('keeps copies: changing a rule after adding it, or the rule returned, changes nothing', () => {
    const t = new FirstMatchFaults<Rule>();
    const rule: Rule = { fault: 'a', times: 5 };
    t.add(rule);
    rule.fault = 'changed';
    const got = t.next();
    if (got !== undefined) got.fault = 'changed too';
    expect(t.next()?.fault).toBe('a');
    t.clear();
    expect(t.next()).toBeUndefined();
  });
});
