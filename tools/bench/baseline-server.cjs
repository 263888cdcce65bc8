'use strict';
// The benchmark's baseline: bare node:http answering a JSON POST with a ~100-byte JSON body.
// It does the least any JSON API must do (read the body, JSON.parse it, JSON.stringify an
// answer), so the proxy's rates can be read as a fraction of what node:http can do at all.
// Usage: node tools/bench/baseline-server.cjs [port]; prints `listening <port>` on stdout.
const http = require('node:http');

const PAD = 'A'.repeat(32);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let tenantId = null;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      tenantId = typeof body.tenantId === 'string' ? body.tenantId : null;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"code":102,"message":"Request body is not valid JSON"}');
      return;
    }
    const out = JSON.stringify({ tenantId, dek: PAD, edek: PAD });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
});

const port = Number(process.argv[2] ?? '0');
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`listening ${typeof a === 'object' && a !== null ? a.port : port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
