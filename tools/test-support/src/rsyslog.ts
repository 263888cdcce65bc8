import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { trackChild, TrackedChild, waitUntil } from './child-process';
import { freePort } from './ports';

/**
 * A private, real rsyslogd for tests of the syslog sink: `rsyslogd -n -f <conf> -i <pidfile>`
 * as a child process with its work directory in a temp dir, no system sockets (no imuxsock or
 * imklog), listening on 127.0.0.1 only:
 * - `tcpPort`: imtcp, plain;
 * - `tlsPort`: imtcp with the gtls stream driver, server authentication only (authMode anon);
 * - `mtlsPort`: imtcp with gtls requiring a client certificate issued by the test CA
 *   (authMode x509/certvalid).
 * Every message received on any of them is written as one JSON line (RFC 5424 fields plus the
 * raw message) to a file that `received()` reads. Certificates (a CA, a server certificate for
 * 127.0.0.1/localhost, a client certificate and a "rogue" self-signed client certificate) are
 * made with the openssl CLI in the temp dir.
 *
 * Preconditions: rsyslogd (with rsyslog-gnutls) at /usr/sbin/rsyslogd or on PATH
 * (RSYSLOGD overrides), and the openssl CLI.
 */
export interface RsyslogCertificates {
  /** PEM of the CA that issued the server and client certificates (trust it as a client). */
  ca: string;
  /** Client certificate (PEM) and key issued by `ca`: accepted by the mTLS listener. */
  clientCert: string;
  clientKey: string;
  /** A self-signed client certificate and key that rsyslogd does not trust. */
  rogueClientCert: string;
  rogueClientKey: string;
}

/** One message as rsyslogd parsed it (RFC 5424 properties) and its raw text. */
export interface RsyslogMessage {
  /** The message as received, without the octet-count framing. */
  raw: string;
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  /** MSG; a leading UTF-8 BOM, if the sender put one, is kept. */
  msg: string;
  /** Which listener took it: 'tcp' | 'tls' | 'mtls'. */
  listener: string;
}

export interface RsyslogServer {
  readonly host: '127.0.0.1';
  readonly tcpPort: number;
  readonly tlsPort: number;
  readonly mtlsPort: number;
  readonly certificates: RsyslogCertificates;
  /** Messages written so far, in arrival order (rsyslogd writes asynchronously: poll). */
  received(): Promise<RsyslogMessage[]>;
  /** Polls received() until `done` holds or `timeoutMs` passes; returns the last read. */
  waitFor(done: (m: RsyslogMessage[]) => boolean, timeoutMs?: number): Promise<RsyslogMessage[]>;
  /** Whether the daemon is running. */
  running(): boolean;
  /** Stops the daemon (its ports refuse connections); the temp dir and ports are kept. */
  stop(): Promise<void>;
  /** Starts the daemon again on the same ports, and waits until they accept connections. */
  restart(): Promise<void>;
  /** Stops the daemon and removes the temp dir. */
  dispose(): Promise<void>;
}

export interface RsyslogOptions {
  /** rsyslogd's maxMessageSize in bytes (default 64 KiB). */
  maxMessageSize?: number;
}

function rsyslogdPath(): string {
  const candidates = [process.env['RSYSLOGD'], '/usr/sbin/rsyslogd', '/usr/bin/rsyslogd'].filter((p): p is string => p !== undefined && p !== '');
  for (const c of candidates) if (existsSync(c)) return c;
  try {
    return execFileSync('sh', ['-c', 'command -v rsyslogd'], { encoding: 'utf8' }).trim() || missing();
  } catch {
    return missing();
  }
}

function missing(): never {
  throw new Error('rsyslogd is not installed: the syslog sink tests need a real rsyslogd with TLS (apt-get install rsyslog rsyslog-gnutls)');
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A P-256 key and certificate; issued by ca.pem/ca.key, or self-signed when `issuer` is undefined. */
function makeCertificate(dir: string, name: string, subject: string, extensions: string[], issuer: 'ca' | undefined): void {
  writeFileSync(path.join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.ec`]);
  // PKCS#8, which both GnuTLS and node:tls read.
  openssl(dir, ['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.ec`, '-out', `${name}.key`]);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  const signer = issuer === undefined ? ['-signkey', `${name}.key`] : ['-CA', 'ca.pem', '-CAkey', 'ca.key'];
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, ...signer, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

function makeCertificates(dir: string): RsyslogCertificates {
  makeCertificate(dir, 'ca', '/CN=rsyslog test CA', ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign'], undefined);
  const leaf = ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature'];
  makeCertificate(dir, 'server', '/CN=localhost', [...leaf, 'extendedKeyUsage = serverAuth', 'subjectAltName = IP:127.0.0.1, DNS:localhost'], 'ca');
  makeCertificate(dir, 'client', '/CN=tsp-logdriver', [...leaf, 'extendedKeyUsage = clientAuth'], 'ca');
  makeCertificate(dir, 'rogue', '/CN=tsp-logdriver', [...leaf, 'extendedKeyUsage = clientAuth'], undefined);
  const read = (f: string): string => readFileSync(path.join(dir, f), 'utf8');
  return { ca: read('ca.pem'), clientCert: read('client.pem'), clientKey: read('client.key'), rogueClientCert: read('rogue.pem'), rogueClientKey: read('rogue.key') };
}

/** JSON field of the output template: `"name":"<property, JSON-escaped>"`. */
function field(outname: string, property: string, first = false, extra = ''): string {
  return `  constant(value="${first ? '{' : ','}\\"${outname}\\":\\"")\n  property(name="${property}" format="json"${extra})\n  constant(value="\\"")`;
}

function config(dir: string, ports: { tcp: number; tls: number; mtls: number }, maxMessageSize: number): string {
  const input = (port: number, name: string, tls: string): string =>
    `input(type="imtcp" address="127.0.0.1" port="${port}" name="${name}" ruleset="received"${tls})`;
  const gtls = (authMode: string): string => ` streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="${authMode}"`;
  return [
    `global(workDirectory="${dir}/work" maxMessageSize="${maxMessageSize}" parser.escapeControlCharactersOnReceive="off"`,
    `  defaultNetstreamDriverCAFile="${dir}/ca.pem" defaultNetstreamDriverCertFile="${dir}/server.pem" defaultNetstreamDriverKeyFile="${dir}/server.key")`,
    'module(load="imtcp" maxSessions="1000")',
    'template(name="tspJson" type="list") {',
    field('raw', 'rawmsg', true),
    field('pri', 'pri'),
    field('timestamp', 'timereported', false, ' dateFormat="rfc3339"'),
    field('hostname', 'hostname'),
    field('appName', 'app-name'),
    field('procId', 'procid'),
    field('msgId', 'msgid'),
    field('structuredData', 'structured-data'),
    field('msg', 'msg'),
    field('listener', 'inputname'),
    '  constant(value="}\\n")',
    '}',
    `ruleset(name="received") { action(type="omfile" file="${dir}/received.jsonl" template="tspJson" asyncWriting="off" flushOnTXEnd="on") }`,
    input(ports.tcp, 'tcp', ''),
    input(ports.tls, 'tls', gtls('anon')),
    input(ports.mtls, 'mtls', gtls('x509/certvalid')),
    // rsyslogd's own messages (startup, TLS errors) go to a separate file, for diagnostics.
    `*.* action(type="omfile" file="${dir}/internal.log")`,
    '',
  ].join('\n');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts a private rsyslogd (see RsyslogServer); resolves when every listener accepts connections. */
export async function startRsyslog(opts: RsyslogOptions = {}): Promise<RsyslogServer> {
  const binary = rsyslogdPath();
  const dir = mkdtempSync(path.join(tmpdir(), 'tsp-rsyslog-'));
  mkdirSync(path.join(dir, 'work'));
  const certificates = makeCertificates(dir);
  const ports = { tcp: await freePort(), tls: await freePort(), mtls: await freePort() };
  const confFile = path.join(dir, 'rsyslog.conf');
  writeFileSync(confFile, config(dir, ports, opts.maxMessageSize ?? 64 * 1024));
  const outFile = path.join(dir, 'received.jsonl');
  const pidFile = path.join(dir, 'rsyslogd.pid');
  let child: ChildProcess | undefined;
  let tracked: TrackedChild | undefined;

  const launch = async (): Promise<void> => {
    rmSync(pidFile, { force: true });
    child = spawn(binary, ['-n', '-f', confFile, '-i', pidFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const t = trackChild(child);
    tracked = t;
    // A test process that ends without dispose() must not leave the daemon behind.
    const spawned = child;
    const killOnExit = (): void => void spawned.kill('SIGKILL');
    process.once('exit', killOnExit);
    void t.exited.then(() => process.removeListener('exit', killOnExit));
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', () => undefined);
    try {
      await waitUntil(async () => {
        if (t.hasExited()) {
          const internal = existsSync(path.join(dir, 'internal.log')) ? readFileSync(path.join(dir, 'internal.log'), 'utf8') : '';
          throw new Error(`rsyslogd exited during startup: ${out}${t.stderr()}${internal}`);
        }
        return (await accepts(ports.tcp)) && (await accepts(ports.tls)) && (await accepts(ports.mtls));
      }, 15000, 'rsyslogd listeners');
    } catch (err) {
      await t.stop('SIGKILL');
      throw err;
    }
  };

  const stop = async (): Promise<void> => {
    const t = tracked;
    tracked = undefined;
    if (t === undefined || t.hasExited()) return;
    const exited = t.stop('SIGTERM');
    const killer = setTimeout(() => child?.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };

  const received = async (): Promise<RsyslogMessage[]> => {
    if (!existsSync(outFile)) return [];
    const text = readFileSync(outFile, 'utf8');
    const out: RsyslogMessage[] = [];
    // The last line may still be being written: only complete lines are read.
    for (const line of text.split('\n').slice(0, -1)) {
      const o = JSON.parse(line) as Record<string, string>;
      out.push({
        raw: o['raw'] ?? '',
        pri: Number(o['pri']),
        timestamp: o['timestamp'] ?? '',
        hostname: o['hostname'] ?? '',
        appName: o['appName'] ?? '',
        procId: o['procId'] ?? '',
        msgId: o['msgId'] ?? '',
        structuredData: o['structuredData'] ?? '',
        msg: o['msg'] ?? '',
        listener: o['listener'] ?? '',
      });
    }
    return out;
  };

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    host: '127.0.0.1',
    tcpPort: ports.tcp,
    tlsPort: ports.tls,
    mtlsPort: ports.mtls,
    certificates,
    received,
    async waitFor(done, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const got = await received();
        if (done(got) || Date.now() > until) return got;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    running: () => tracked !== undefined && !tracked.hasExited(),
    stop,
    async restart() {
      await stop();
      await launch();
    },
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
