import path from 'node:path';
import { DeadLetterFilter, DeadLetterStore } from './dead-letters';
import { Spool, SPOOL_FILE } from './spool';

/**
 * `npm run dead-letters -- <command> [--spool DIR] [--tenant ID] [--sink ID] [--limit N]`
 *
 * Works on the spool file directly (SQLite in WAL mode allows it while the logdriver runs):
 * - counts    dead letters per tenant and sink (and how many wait for re-drive)
 * - list      the letters (id, tenant, sink, seq, event id, reason, attempts), oldest first
 * - show ID   one letter with its stored event (the event holds no secret; it is audit data)
 * - redrive   marks letters to be sent again: the running logdriver picks them up within
 *             seconds; delivered ones are deleted, refused ones come back with the new reason
 * - drop      deletes letters for good (asks for --tenant or --all)
 * The spool directory comes from --spool or TSP_LOGDRIVER_SPOOL_DIR.
 */
const USAGE = 'usage: dead-letters <counts|list|show ID|redrive|drop> [--spool DIR] [--tenant ID] [--sink ID] [--limit N] [--all]';

interface Args {
  command: string;
  id: number | undefined;
  spool: string | undefined;
  filter: DeadLetterFilter;
  limit: number;
  all: boolean;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Args {
  const [command, ...rest] = argv;
  if (command === undefined) throw new Error(USAGE);
  const args: Args = { command, id: undefined, spool: env['TSP_LOGDRIVER_SPOOL_DIR'], filter: {}, limit: 100, all: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--spool') args.spool = value();
    else if (a === '--tenant') args.filter.tenantId = value();
    else if (a === '--sink') args.filter.sinkId = value();
    else if (a === '--limit') args.limit = Number(value());
    else if (a === '--all') args.all = true;
    else if (command === 'show' && args.id === undefined && /^\d+$/.test(a)) args.id = Number(a);
    else throw new Error(`unknown argument '${a}'\n${USAGE}`);
  }
  if (!['counts', 'list', 'show', 'redrive', 'drop'].includes(command)) throw new Error(`unknown command '${command}'\n${USAGE}`);
  if (args.spool === undefined || args.spool === '') throw new Error('the spool directory is needed: --spool DIR or TSP_LOGDRIVER_SPOOL_DIR');
  if (command === 'show' && args.id === undefined) throw new Error('show needs a letter id');
  if (command === 'drop' && args.filter.tenantId === undefined && !args.all) throw new Error('drop needs --tenant ID (or --all)');
  if (!Number.isInteger(args.limit) || args.limit < 1) throw new Error('--limit must be a positive integer');
  return args;
}

/** Runs one command; returns the text to print. */
export function runDeadLetterCommand(args: Args): string {
  let spool: Spool;
  try {
    spool = new Spool(args.spool ?? '', { existing: true });
  } catch (e) {
    throw new Error(`cannot open the spool in ${args.spool ?? ''}: ${(e as Error).message}`);
  }
  try {
    const store = new DeadLetterStore(spool.handle);
    switch (args.command) {
      case 'counts': {
        const rows = store.counts(args.filter);
        if (rows.length === 0) return 'no dead letters';
        return rows.map((r) => `${r.tenantId}\t${r.sinkId}\t${r.sinkType}\t${r.count} letters\t${r.redrive} marked for re-drive`).join('\n');
      }
      case 'list':
        return store
          .list(args.filter, args.limit)
          .map((l) => `${l.id}\t${l.tenantId}\t${l.sinkId}\t${l.sinkType}\tseq ${l.seq}\t${l.eventId}\t${new Date(l.failedAt).toISOString()}\tattempts ${l.attempts}${l.redrive ? '\tmarked' : ''}\t${l.reason}`)
          .join('\n');
      case 'show': {
        const l = args.id === undefined ? undefined : store.get(args.id);
        if (l === undefined) throw new Error(`no dead letter ${String(args.id)}`);
        return JSON.stringify({ ...l, event: JSON.parse(l.event) as unknown }, null, 2);
      }
      case 'redrive':
        return `${store.markRedrive(args.filter)} letters marked for re-drive (the running logdriver sends them within seconds)`;
      default:
        return `${store.drop(args.filter)} letters deleted`;
    }
  } finally {
    spool.close();
  }
}

if (require.main === module) {
  try {
    const args = parseArgs(process.argv.slice(2), process.env);
    process.stdout.write(`${runDeadLetterCommand(args)}\n`);
    process.stderr.write(`(spool: ${path.join(args.spool ?? '', SPOOL_FILE)})\n`);
  } catch (e) {
    process.stderr.write(`dead-letters: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
