// Drives the running embedded default (`npm start`) with the unmodified Node Tenant Security
// Client: encrypt, decrypt, batch, rekey, deterministic encryption and a security event.
//   node tools/examples/node-client-demo.js            (API key from API_KEY or var/dev)
//   TSP_URL=http://127.0.0.1:7777 API_KEY=... node tools/examples/node-client-demo.js
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');
const {
  TenantSecurityClient, DocumentMetadata, FieldMetadata, EventMetadata, UserEvent,
} = require('@ironcorelabs/tenant-security-nodejs');

function apiKey() {
  if (process.env.API_KEY) return process.env.API_KEY;
  const file = path.join(__dirname, '..', '..', 'var', 'dev', 'service-account.env');
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('API_KEY='));
  if (!line) throw new Error(`no API_KEY in ${file}`);
  return line.slice('API_KEY='.length);
}

async function main() {
  const url = process.env.TSP_URL || 'http://127.0.0.1:7777';
  const client = new TenantSecurityClient(url, apiKey());
  const meta = (tenant) => new DocumentMetadata(tenant, 'demo-script', 'PII');
  const check = (ok, what) => {
    if (!ok) throw new Error(`FAILED: ${what}`);
    console.log(`ok  ${what}`);
  };

  const doc = { title: Buffer.from('Quarterly numbers'), body: Buffer.from('Confidential body') };
  for (const tenant of ['demo-tenant-1', 'demo-tenant-2']) {
    const enc = await client.encryptDocument(doc, meta(tenant));
    const dec = await client.decryptDocument(enc, meta(tenant));
    check(dec.plaintextDocument.body.toString() === 'Confidential body', `encrypt/decrypt for ${tenant}`);
  }

  const batch = await client.encryptDocumentBatch({ a: doc, b: doc, c: doc }, meta('demo-tenant-2'));
  const decBatch = await client.decryptDocumentBatch(batch.successes, meta('demo-tenant-2'));
  check(Object.keys(decBatch.successes).length === 3 && !decBatch.hasFailures, 'batch encrypt/decrypt of 3 documents');

  const enc1 = await client.encryptDocument(doc, meta('demo-tenant-1'));
  const edek2 = await client.rekeyEdek(enc1.edek, 'demo-tenant-2', meta('demo-tenant-1'));
  const moved = await client.decryptDocument({ ...enc1, edek: edek2 }, meta('demo-tenant-2'));
  check(moved.plaintextDocument.title.toString() === 'Quarterly numbers', 'rekey demo-tenant-1 -> demo-tenant-2');

  const det = client.deterministicClient;
  const fmeta = new FieldMetadata('demo-tenant-1', 'demo-script');
  const field = { plaintextField: Buffer.from('123-45-6789'), secretPath: 'ssn', derivationPath: 'customers.ssn' };
  const e1 = await det.encryptField(field, fmeta);
  const e2 = await det.encryptField(field, fmeta);
  const back = await det.decryptField(e1, fmeta);
  check(e1.encryptedField.equals(e2.encryptedField) && back.plaintextField.toString() === '123-45-6789', 'deterministic encrypt/decrypt (secret path "ssn")');
  const terms = await det.generateSearchTerms(field, fmeta);
  check(terms.length >= 1, `search terms (${terms.length})`);

  // Tenants on their own cloud KMS (the dev stack's loopback fakes of AWS KMS, Google Cloud KMS
  // and Azure Key Vault), and a document moved from one cloud to another.
  const clouds = ['demo-tenant-aws', 'demo-tenant-gcp', 'demo-tenant-azure'];
  const cloudDocs = {};
  for (const tenant of clouds) {
    try {
      cloudDocs[tenant] = await client.encryptDocument(doc, meta(tenant));
    } catch (e) {
      if (e.errorCode === 201) {
        console.log(`--  ${tenant} is not in this environment (made before the cloud fakes): skipped`);
        continue;
      }
      throw e;
    }
    const back = await client.decryptDocument(cloudDocs[tenant], meta(tenant));
    check(back.plaintextDocument.body.toString() === 'Confidential body', `encrypt/decrypt for ${tenant} through its own KMS`);
  }
  if (cloudDocs['demo-tenant-aws'] && cloudDocs['demo-tenant-azure']) {
    const awsDoc = cloudDocs['demo-tenant-aws'];
    const toAzure = await client.rekeyEdek(awsDoc.edek, 'demo-tenant-azure', meta('demo-tenant-aws'));
    const onAzure = await client.decryptDocument({ ...awsDoc, edek: toAzure }, meta('demo-tenant-azure'));
    check(onAzure.plaintextDocument.body.toString() === 'Confidential body', 'rekey demo-tenant-aws (AWS KMS) -> demo-tenant-azure (Azure Key Vault)');
  }

  await client.logSecurityEvent(UserEvent.LOGIN, new EventMetadata('demo-tenant-1', 'user-1', 'PII'));
  check(true, 'security event USER_LOGIN logged (it appears in var/events/demo-tenant-1.ndjson within about 2 s)');

  try {
    await client.encryptDocument(doc, meta('demo-tenant-combo'));
    check(false, 'demo-tenant-combo has no primary config');
  } catch (e) {
    check(e.errorCode === 200, `demo-tenant-combo encrypt fails with ${e.errorCode} (no primary config)`);
  }
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
