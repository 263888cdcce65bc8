import { randomBytes } from 'node:crypto';
import type { BulkItem } from './bulk-parser';
import { badRequest, EsError, mapperParsing, rejectedExecution } from './es-errors';
import { EsFault, selects } from './faults';

export interface StoredDocument {
  index: string;
  id: string;
  version: number;
  /** Ingest pipeline the document was sent through, if any. */
  pipeline: string | undefined;
  source: Record<string, unknown>;
}

/** Documents per index and _id, plus their arrival order. */
export class DocumentStore {
  private readonly byIndex = new Map<string, Map<string, StoredDocument>>();
  private readonly order: StoredDocument[] = [];
  private seqNo = 0;

  get(index: string, id: string): StoredDocument | undefined {
    return this.byIndex.get(index)?.get(id);
  }

  put(doc: StoredDocument): number {
    let docs = this.byIndex.get(doc.index);
    if (docs === undefined) this.byIndex.set(doc.index, (docs = new Map()));
    const old = docs.get(doc.id);
    if (old !== undefined) this.order.splice(this.order.indexOf(old), 1);
    docs.set(doc.id, doc);
    this.order.push(doc);
    return this.seqNo++;
  }

  list(index?: string): StoredDocument[] {
    return this.order.filter((d) => index === undefined || d.index === index);
  }
}

export interface BulkOutcome {
  errors: boolean;
  items: Record<string, Record<string, unknown>>[];
  /** A whole-request validation failure (400), when the request cannot run at all. */
  validation?: EsError;
}

export interface BulkContext {
  defaultIndex: string | undefined;
  defaultPipeline: string | undefined;
  pipelines: readonly string[] | undefined;
  fault: Extract<EsFault, { kind: 'items' }> | undefined;
}

// Elasticsearch index names: lowercase, no \ / * ? " < > | space , # :, not starting with - _ +, not . or ..
const INDEX_NAME = /^(?![-_+])(?!\.\.?$)[^A-Z\\/*?"<>| ,#:]{1,255}$/;

/** Runs the items of a parsed _bulk request against the store, answering each like Elasticsearch. */
export function runBulk(store: DocumentStore, items: readonly BulkItem[], ctx: BulkContext): BulkOutcome {
  const missing = items.findIndex((it) => (it.index ?? ctx.defaultIndex) === undefined);
  if (missing >= 0) return { errors: true, items: [], validation: badRequest('action_request_validation_exception', `Validation Failed: ${missing + 1}: index is missing;`) };
  let errors = false;
  const out = items.map((it, position) => {
    const index = (it.index ?? ctx.defaultIndex) as string;
    const id = it.id ?? randomBytes(15).toString('base64url');
    const pipeline = it.pipeline ?? ctx.defaultPipeline;
    const fail = (status: number, error: EsError): Record<string, Record<string, unknown>> => {
      errors = true;
      return { [it.action]: { _index: index, _id: id, status, error } };
    };
    if (selects(ctx.fault?.reject, position)) return fail(400, mapperParsing(id));
    if (selects(ctx.fault?.retry, position)) return fail(429, rejectedExecution(`indices:data/write/bulk[s] for item [${position}]`));
    if (!INDEX_NAME.test(index)) return fail(400, { type: 'invalid_index_name_exception', reason: `Invalid index name [${index}]`, index });
    if (it.action === 'update' || it.action === 'delete') return fail(400, badRequest('illegal_argument_exception', `the fake supports create and index only, not [${it.action}]`));
    if (pipeline !== undefined && ctx.pipelines !== undefined && !ctx.pipelines.includes(pipeline)) {
      return fail(400, badRequest('illegal_argument_exception', `pipeline with id [${pipeline}] does not exist`));
    }
    if (it.source === undefined) return fail(400, { type: 'document_parsing_exception', reason: '[1:1] failed to parse: the source is not a JSON object' });
    const existing = store.get(index, id);
    if (existing !== undefined && it.action === 'create') {
      return fail(409, {
        type: 'version_conflict_engine_exception',
        reason: `[${id}]: version conflict, document already exists (current version [${existing.version}])`,
        index_uuid: 'fAkEeLaStIcSeArCh0000a',
        shard: '0',
        index,
      });
    }
    const version = (existing?.version ?? 0) + 1;
    const seqNo = store.put({ index, id, version, pipeline, source: it.source });
    return {
      [it.action]: {
        _index: index,
        _id: id,
        _version: version,
        result: existing === undefined ? 'created' : 'updated',
        _shards: { total: 1, successful: 1, failed: 0 },
        _seq_no: seqNo,
        _primary_term: 1,
        status: existing === undefined ? 201 : 200,
      },
    };
  });
  return { errors, items: out };
}
