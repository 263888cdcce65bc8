import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A self-signed certificate for 127.0.0.1 / localhost, made with the `openssl` CLI (node:crypto
 * cannot create X.509 certificates). The certificate is its own CA: a client trusts it by passing
 * `cert` as its CA (tlsOptions.ca, or NODE_EXTRA_CA_CERTS set before node starts).
 * MSAL (inside @azure/identity) refuses an authority that is not https, so the fake's Entra
 * endpoints must be served over TLS for the real credential flow.
 */
export interface LoopbackCertificate {
  /** PEM certificate (also the CA to trust). */
  cert: string;
  /** PEM private key. */
  key: string;
}

export function generateLoopbackCertificate(): LoopbackCertificate {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-akv-tls-'));
  try {
    const conf = path.join(dir, 'openssl.cnf');
    writeFileSync(
      conf,
      [
        '[req]',
        'distinguished_name = dn',
        'x509_extensions = ext',
        'prompt = no',
        '[dn]',
        'CN = fake-azure-keyvault loopback',
        '[ext]',
        'basicConstraints = critical, CA:TRUE',
        'keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign',
        'extendedKeyUsage = serverAuth',
        'subjectAltName = IP:127.0.0.1, DNS:localhost',
        '',
      ].join('\n'),
    );
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-config', conf, '-keyout', keyFile, '-out', certFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
