import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, runDeadLetterCommand } from './dead-letter-cli';
import { DeadLetterStore } from './dead-letters';
import { Spool } from './spool';

describe('dead-letters CLI', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsp-dlq-'));
    const spool = new Spool(dir);
    const store = new DeadLetterStore(spool.handle);
    const event = (n: number): string => JSON.stringify({ category: 'application', tenantId: 't', timestampMillis: 1, iclFields: { event: 'USER_LOGIN', requestingId: 'u', tspRayId: `r${n}` }, customFields: {} });
    store.add('t1', 'siem', 'splunk-hec', [{ seq: 1, eventId: 'e1', event: event(1), reason: 'splunk-hec answered 400: Invalid data format' }, { seq: 2, eventId: 'e2', event: event(2), reason: 'x' }]);
    store.add('t2', 'es', 'elasticsearch', [{ seq: 3, eventId: 'e3', event: event(3), reason: 'mapper_parsing_exception' }]);
    spool.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...argv: string[]): string => runDeadLetterCommand(parseArgs([...argv, '--spool', dir], {}));

  it('counts, lists and shows letters with their reason and event', () => {
    expect(run('counts').split('\n')).toEqual([
      't1\tsiem\tsplunk-hec\t2 letters\t0 marked for re-drive',
      't2\tes\telasticsearch\t1 letters\t0 marked for re-drive',
    ]);
    const list = run('list', '--tenant', 't1').split('\n');
    expect(list).toHaveLength(2);
    expect(list[0]).toMatch(/^1\tt1\tsiem\tsplunk-hec\tseq 1\te1\t.*\tattempts 1\tsplunk-hec answered 400: Invalid data format$/);
    expect(JSON.parse(run('show', '3'))).toMatchObject({ id: 3, tenantId: 't2', eventId: 'e3', event: { iclFields: { tspRayId: 'r3' } } });
  });

  it('redrive marks letters by tenant and sink; drop deletes them and needs a tenant or --all', () => {
    expect(run('redrive', '--tenant', 't1', '--sink', 'siem')).toMatch(/^2 letters marked/);
    expect(run('counts', '--tenant', 't1')).toBe('t1\tsiem\tsplunk-hec\t2 letters\t2 marked for re-drive');
    expect(() => run('drop')).toThrow('drop needs --tenant ID (or --all)');
    expect(run('drop', '--tenant', 't2')).toBe('1 letters deleted');
    expect(run('drop', '--all')).toBe('2 letters deleted');
    expect(run('counts')).toBe('no dead letters');
  });

  it('refuses unknown commands and arguments, and a missing spool', () => {
    expect(() => parseArgs(['purge', '--spool', dir], {})).toThrow("unknown command 'purge'");
    expect(() => parseArgs(['list', '--tenat', 'x', '--spool', dir], {})).toThrow("unknown argument '--tenat'");
    expect(() => parseArgs(['list'], {})).toThrow('the spool directory is needed');
    expect(parseArgs(['list'], { TSP_LOGDRIVER_SPOOL_DIR: dir }).spool).toBe(dir);
  });

  it('never creates or migrates a spool: a mistyped directory is an error, not an empty spool', () => {
    const typo = path.join(dir, 'no-such-spool');
    expect(() => runDeadLetterCommand(parseArgs(['counts', '--spool', typo], {}))).toThrow(`cannot open the spool in ${typo}`);
    expect(() => runDeadLetterCommand(parseArgs(['show', '99', '--spool', dir], {}))).toThrow('no dead letter 99');
  });
});
