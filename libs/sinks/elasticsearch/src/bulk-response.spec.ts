import { classifyBulkResponse } from './bulk-response';

const created = (id: string): object => ({ create: { _index: 'i', _id: id, _version: 1, result: 'created', status: 201 } });
const failedItem = (status: number, type: string, reason = 'free text with "document content"'): object => ({ create: { _index: 'i', _id: 'x', status, error: { type, reason } } });
const body = (items: object[]): string => JSON.stringify({ took: 1, errors: true, items });

describe('classifyBulkResponse', () => {
  it('errors:false is delivered', () => {
    expect(classifyBulkResponse(200, undefined, JSON.stringify({ took: 1, errors: false, items: [created('a')] }), 1)).toEqual({ kind: 'delivered' });
  });

  it('counts 409 version conflicts as delivered, but not other 409s', () => {
    expect(classifyBulkResponse(200, undefined, body([created('a'), failedItem(409, 'version_conflict_engine_exception')]), 2)).toEqual({ kind: 'delivered' });
    expect(classifyBulkResponse(200, undefined, body([created('a'), failedItem(409, 'other_conflict')]), 2)).toEqual({
      kind: 'partial',
      failed: [{ index: 1, retry: false, reason: 'elasticsearch item answered 409: other_conflict' }],
    });
  });

  it('names exactly the failed items, retrying 429/5xx/403 and rejecting other 4xx, never quoting the reason text', () => {
    const outcome = classifyBulkResponse(
      200,
      undefined,
      body([created('a'), failedItem(400, 'document_parsing_exception'), failedItem(503, 'unavailable_shards_exception'), failedItem(403, 'security_exception'), created('b')]),
      5,
    );
    expect(outcome).toEqual({
      kind: 'partial',
      failed: [
        { index: 1, retry: false, reason: 'elasticsearch item answered 400: document_parsing_exception' },
        { index: 2, retry: true, reason: 'elasticsearch item answered 503: unavailable_shards_exception' },
        { index: 3, retry: true, reason: 'elasticsearch item answered 403: security_exception' },
      ],
    });
    expect(JSON.stringify(outcome)).not.toContain('document content');
  });

  it('all items failing: retry (auth when all were 403, Retry-After honoured), reject, or partial when mixed', () => {
    expect(classifyBulkResponse(200, '3', body([failedItem(403, 'security_exception'), failedItem(403, 'security_exception')]), 2)).toEqual({
      kind: 'retry',
      auth: true,
      retryAfterMs: 3000,
      reason: 'elasticsearch failed every item (elasticsearch item answered 403: security_exception)',
    });
    expect(classifyBulkResponse(200, undefined, body([failedItem(400, 'a'), failedItem(404, 'index_not_found_exception')]), 2)).toMatchObject({ kind: 'reject' });
    expect(classifyBulkResponse(200, undefined, body([failedItem(400, 'a'), failedItem(429, 'b')]), 2)).toMatchObject({
      kind: 'partial',
      failed: [{ index: 0, retry: false }, { index: 1, retry: true }],
    });
  });

  it('an unreadable 2xx answer, or one without a result per item, is a retry', () => {
    expect(classifyBulkResponse(200, undefined, '<html>proxy</html>', 1)).toEqual({ kind: 'retry', reason: 'elasticsearch answered 200 with an unreadable bulk response' });
    expect(classifyBulkResponse(200, undefined, body([failedItem(400, 'a')]), 2)).toEqual({
      kind: 'retry',
      reason: 'elasticsearch answered 200 with errors but without one result per item',
    });
  });

  it('whole-request errors: type as detail, string errors kept short, unsafe types dropped', () => {
    const es400 = JSON.stringify({ error: { root_cause: [], type: 'illegal_argument_exception', reason: 'x' }, status: 400 });
    expect(classifyBulkResponse(400, undefined, es400, 1)).toEqual({ kind: 'reject', reason: 'elasticsearch answered 400: illegal_argument_exception' });
    expect(classifyBulkResponse(406, undefined, JSON.stringify({ error: 'Content-Type header is missing', status: 406 }), 1)).toEqual({
      kind: 'reject',
      reason: 'elasticsearch answered 406: Content-Type header is missing',
    });
    expect(classifyBulkResponse(503, '2', JSON.stringify({ error: { type: 'has spaces: and "quotes"' } }), 1)).toEqual({
      kind: 'retry',
      reason: 'elasticsearch answered 503',
      retryAfterMs: 2000,
    });
  });
});
