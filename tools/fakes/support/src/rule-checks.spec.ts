import { RuleChecks } from './rule-checks';

const KINDS = ['busy', 'drop'];

function problems(v: unknown): string[] {
  const c = RuleChecks.of(v);
  if (c === undefined) return ['rule must be an object'];
  return c
    .knownFields(['fault', 'ops', 'latencyMs', 'times', 'retryAfter', 'flag'])
    .oneOf('fault', KINDS)
    .listOf('ops', ['get', 'put'])
    .nonNegativeInteger('latencyMs')
    .positiveInteger('times')
    .string('retryAfter')
    .boolean('flag')
    .needsOneOf(['fault', 'latencyMs']).problems;
}

describe('RuleChecks', () => {
  it('accepts a valid rule', () => {
    expect(problems({ fault: 'busy', ops: ['get'], latencyMs: 0, times: 1, retryAfter: '7', flag: true })).toEqual([]);
    expect(problems({ latencyMs: 10 })).toEqual([]);
  });

  it('names every problem, in the order of the checks', () => {
    expect(problems(null)).toEqual(['rule must be an object']);
    expect(problems([1])).toEqual(['rule must be an object']);
    expect(problems({ colour: 1, fault: 'boom', ops: ['get', 'delete'], latencyMs: -1, times: 0, retryAfter: 7, flag: 'yes' })).toEqual([
      'unknown field colour',
      'fault must be one of busy, drop',
      'ops must be a list of get, put',
      'latencyMs must be a non-negative integer',
      'times must be a positive integer',
      'retryAfter must be a string',
      'flag must be a boolean',
    ]);
    expect(problems({ times: 1.5 })).toEqual(['times must be a positive integer', 'a rule needs fault or latencyMs']);
  });

  it('checks a required enumeration even when absent, and takes problems of the caller', () => {
    const c = RuleChecks.of({});
    expect(c?.oneOf('kind', KINDS, true).problem('something else').problems).toEqual(['kind must be one of busy, drop', 'something else']);
  });
});
