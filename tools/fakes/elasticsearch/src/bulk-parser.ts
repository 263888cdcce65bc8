/**
 * Strict parsing of a _bulk body (NDJSON) as Elasticsearch does it: every line ends in "\n"
 * (the last one too), an action line is an object with exactly one of create/index/update/delete
 * holding only known metadata, create/index/update are followed by a source line, delete is not.
 * A malformed action line fails the whole request (400); a source line that is not a JSON object
 * fails only its item (as the real mapping step does).
 */
export type BulkAction = 'create' | 'index' | 'update' | 'delete';

export interface BulkItem {
  action: BulkAction;
  index: string | undefined;
  id: string | undefined;
  pipeline: string | undefined;
  /** The parsed source (create/index/update), or undefined when it is not a JSON object. */
  source: Record<string, unknown> | undefined;
  /** The raw source line. */
  sourceText: string | undefined;
}

export type BulkParse = { ok: true; items: BulkItem[] } | { ok: false; type: string; reason: string };

const ACTIONS: readonly BulkAction[] = ['create', 'index', 'update', 'delete'];
const METADATA = ['_index', '_id', 'pipeline', 'routing', 'require_alias', 'if_seq_no', 'if_primary_term', 'version', 'version_type', 'dynamic_templates', 'require_data_stream'];

function fail(type: string, reason: string): BulkParse {
  return { ok: false, type, reason };
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function parseBulk(body: string): BulkParse {
  if (body.length === 0) return fail('action_request_validation_exception', 'Validation Failed: 1: no requests added;');
  if (!body.endsWith('\n')) return fail('illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
  const lines = body.slice(0, -1).split('\n');
  const items: BulkItem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const action = parseObject(lines[i]);
    if (action === undefined) return fail('x_content_parse_exception', `Malformed action/metadata line [${lineNo}], expected START_OBJECT`);
    const keys = Object.keys(action);
    if (keys.length !== 1 || !(ACTIONS as readonly string[]).includes(keys[0])) {
      return fail('illegal_argument_exception', `Malformed action/metadata line [${lineNo}], expected field [create], [delete], [index] or [update] but found [${keys[0] ?? ''}]`);
    }
    const kind = keys[0] as BulkAction;
    const meta = action[kind];
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      return fail('illegal_argument_exception', `Malformed action/metadata line [${lineNo}], expected START_OBJECT`);
    }
    const m = meta as Record<string, unknown>;
    for (const k of Object.keys(m)) {
      if (!METADATA.includes(k)) return fail('illegal_argument_exception', `Action/metadata line [${lineNo}] contains an unknown parameter [${k}]`);
    }
    const str = (k: string): string | undefined => (typeof m[k] === 'string' ? (m[k] as string) : m[k] === undefined ? undefined : String(m[k]));
    const item: BulkItem = { action: kind, index: str('_index'), id: str('_id'), pipeline: str('pipeline'), source: undefined, sourceText: undefined };
    if (kind !== 'delete') {
      i++;
      if (i >= lines.length) return fail('illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]');
      item.sourceText = lines[i];
      item.source = parseObject(lines[i]);
    }
    items.push(item);
  }
  return { ok: true, items };
}
