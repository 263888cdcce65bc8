import { createHmac } from 'node:crypto';
import { request } from 'node:https';
import { checkSignature } from './signature-check';
import { FakeWebhookReceiver, startFakeWebhookReceiver } from './fake-server';

const SECRET = 'receiver-secret-0123456789';
const sign = (body: string, t: number, secret = SECRET): string => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
const nowS = (): number => Math.floor(Date.now() / 1000);
const ID = 'a'.repeat(64);

function post(fake: FakeWebhookReceiver, body: string, headers: Record<string, string>, path = '/events'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`https://127.0.0.1:${fake.port}${path}`, { method: 'POST', ca: fake.caCertificate, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('checkSignature', () => {
  const body = Buffer.from('{"events":[]}');
  it('accepts a valid signature and any rotated secret', () => {
    expect(checkSignature(sign(body.toString(), 1000), body, [SECRET], 1000, 300)).toEqual({ ok: true });
    expect(checkSignature(sign(body.toString(), 1000, 'old-secret-xxxxxxxx'), body, [SECRET, 'old-secret-xxxxxxxx'], 1000, 300)).toEqual({ ok: true });
  });
  it('refuses a wrong secret, a changed body, a stale or future timestamp, a malformed header', () => {
    expect(checkSignature(sign(body.toString(), 1000, 'other-secret-xxxxx'), body, [SECRET], 1000, 300)).toEqual({ ok: false, error: 'signature mismatch' });
    expect(checkSignature(sign(body.toString(), 1000), Buffer.from('{"events":[{}]}'), [SECRET], 1000, 300)).toEqual({ ok: false, error: 'signature mismatch' });
    expect(checkSignature(sign(body.toString(), 1000), body, [SECRET], 1301, 300).ok).toBe(false);
    expect(checkSignature(sign(body.toString(), 1000), body, [SECRET], 699, 300).ok).toBe(false);
    expect(checkSignature(sign(body.toString(), 1000), body, [SECRET], 1300, 300).ok).toBe(true);
    expect(checkSignature(undefined, body, [SECRET], 1000, 300)).toEqual({ ok: false, error: 'missing X-TSP-Signature' });
    expect(checkSignature('v1=abc', body, [SECRET], 1000, 300)).toEqual({ ok: false, error: 'malformed X-TSP-Signature' });
    expect(checkSignature('t=1000', body, [SECRET], 1000, 300)).toEqual({ ok: false, error: 'no v1 signature' });
  });
});

describe('fake webhook receiver over https', () => {
  let fake: FakeWebhookReceiver;
  beforeAll(async () => {
    fake = await startFakeWebhookReceiver({ secrets: [SECRET] });
  });
  afterAll(() => fake.stop());
  afterEach(() => {
    fake.clearFaults();
    fake.clear();
  });

  it('stores signed events and answers 401 to a bad signature without storing', async () => {
    const body = JSON.stringify({ events: [{ a: 1 }, { b: 2 }] });
    const ok = await post(fake, body, { 'content-type': 'application/json', 'x-tsp-delivery-id': ID, 'x-tsp-signature': sign(body, nowS()) });
    expect(ok.status).toBe(200);
    expect(fake.received()).toEqual([{ a: 1 }, { b: 2 }]);
    const bad = await post(fake, body, { 'content-type': 'application/json', 'x-tsp-delivery-id': 'b'.repeat(64), 'x-tsp-signature': sign(body, nowS(), 'nope-nope-nope-nope') });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body)).toEqual({ error: 'signature mismatch' });
    expect(fake.received()).toHaveLength(2);
  });

  it('answers 400 to a malformed body or delivery id, 415 to another content type, 404 elsewhere', async () => {
    const send = (body: string, id = ID, type = 'application/json', path = '/events') =>
      post(fake, body, { 'content-type': type, 'x-tsp-delivery-id': id, 'x-tsp-signature': sign(body, nowS()) }, path);
    expect((await send('{"events":{}}')).status).toBe(400);
    expect((await send('{"events":[1]}')).status).toBe(400);
    expect((await send('{"events":[]}', 'short')).status).toBe(400);
    expect((await send('{"events":[]}', ID, 'text/plain')).status).toBe(415);
    expect((await send('{"events":[]}', ID, 'application/json', '/other')).status).toBe(404);
  });

  it('throttles with Retry-After and answers 207 for partial faults', async () => {
    fake.addFault({ times: 1, action: { type: 'throttle', retryAfterSeconds: 9 } });
    const body = JSON.stringify({ events: [{ i: 0 }, { i: 1 }, { i: 2 }] });
    const h = { 'content-type': 'application/json', 'x-tsp-delivery-id': ID, 'x-tsp-signature': sign(body, nowS()) };
    const t = await post(fake, body, h);
    expect([t.status, t.headers['retry-after']]).toEqual([429, '9']);
    fake.addFault({ times: 1, action: { type: 'partial', rejectIndices: [0], retryIndices: [2] } });
    const p = await post(fake, body, h);
    expect(p.status).toBe(207);
    expect(JSON.parse(p.body).failed.map((f: { index: number; retry: boolean }) => [f.index, f.retry])).toEqual([[0, false], [2, true]]);
    expect(fake.received()).toEqual([{ i: 1 }]);
  });
});
