import { readFileSync, writeFileSync } from 'node:fs';
import { generateLoopbackCertificate, LoopbackCertificate } from './loopback-certificate';

/** --port N for node:util parseArgs (0, the default: any free port); see FakeCli.port. */
export const PORT_OPTION = { port: { type: 'string', default: '0' } } as const;

/** --tls (serve a generated self-signed certificate) and --ca-out FILE; see FakeCli.tls. */
export const TLS_OPTIONS = { tls: { type: 'boolean', default: false }, 'ca-out': { type: 'string' } } as const;

/** --tls-cert FILE --tls-key FILE (serve these PEM files) and --ca-out FILE; see FakeCli.tls. */
export const TLS_FILE_OPTIONS = { 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'ca-out': { type: 'string' } } as const;

/** --help for node:util parseArgs; see FakeCli.helpAsked. */
export const HELP_OPTION = { help: { type: 'boolean', default: false } } as const;

/** --latency-ms N for node:util parseArgs (default 0); see FakeCli.integer. */
export const LATENCY_OPTION = { 'latency-ms': { type: 'string', default: '0' } } as const;

/** TLS options of a fake's command line. */
export interface CliTlsOptions {
  /** Make a self-signed loopback certificate when no files are given (openssl CLI). */
  generate: boolean;
  /** --tls-cert and --tls-key: PEM files to serve instead (both or neither). */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** --ca-out: where to write the certificate to trust, when one is served. */
  caOut?: string | undefined;
}

/**
 * The command-line frame shared by the fakes' main.ts: usage errors end the process with
 * `<name>: <message>` on stderr and exit code 2 (no stack trace); the fake prints one JSON line
 * of what it serves and runs until SIGTERM/SIGINT.
 */
export class FakeCli {
  /** `name` prefixes every message, e.g. 'fake-splunk-hec'; `usage` is what --help prints. */
  constructor(
    readonly name: string,
    readonly usage = '',
  ) {}

  /** When `asked` (--help), prints the usage on stdout; whether it did (main then returns). */
  helpAsked(asked: boolean): boolean {
    if (asked) process.stdout.write(`${this.usage}\n`);
    return asked;
  }

  /** Writes `<name>: <message>` to stderr and exits with code 2. */
  fail(message: string): never {
    process.stderr.write(`${this.name}: ${message}\n`);
    process.exit(2);
  }

  /** Runs a parser (e.g. node:util parseArgs); an error it throws (unknown option...) is a usage error. */
  parse<T>(parser: () => T): T {
    try {
      return parser();
    } catch (e) {
      return this.fail(e instanceof Error ? e.message : String(e));
    }
  }

  /** --port as a number 0..65535 (0: any free port). */
  port(value: string): number {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) this.fail('--port must be 0..65535');
    return port;
  }

  /** An integer option at least `min` (0 or 1); undefined when not given. */
  integer(option: string, value: string, min: 0 | 1): number;
  integer(option: string, value: string | undefined, min: 0 | 1): number | undefined;
  integer(option: string, value: string | undefined, min: 0 | 1): number | undefined {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) this.fail(`--${option} must be a ${min === 0 ? 'non-negative' : 'positive'} integer`);
    return n;
  }

  /**
   * The certificate to serve: the --tls-cert/--tls-key files, else a generated one when asked,
   * else none (plain http). Writes it to --ca-out when one is served.
   */
  tls(options: CliTlsOptions & { generate: true }): LoopbackCertificate;
  tls(options: CliTlsOptions): LoopbackCertificate | undefined;
  tls(options: CliTlsOptions): LoopbackCertificate | undefined {
    let tls: LoopbackCertificate | undefined;
    if (options.certFile !== undefined || options.keyFile !== undefined) {
      if (options.certFile === undefined || options.keyFile === undefined) this.fail('--tls-cert and --tls-key go together');
      tls = { cert: readFileSync(options.certFile, 'utf8'), key: readFileSync(options.keyFile, 'utf8') };
    } else if (options.generate) {
      tls = generateLoopbackCertificate();
    }
    if (tls !== undefined && options.caOut !== undefined) writeFileSync(options.caOut, tls.cert);
    return tls;
  }

  /**
   * Prints `info` as one JSON line on stdout (never put a secret in it that the user passed in);
   * from then on the first SIGTERM or SIGINT stops the fake and exits 0 (1 if stopping failed).
   */
  serve(info: object, stop: () => Promise<void>): void {
    const onSignal = (): void => {
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    // Listen before printing: whoever reads the line may signal at once.
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    process.stdout.write(`${JSON.stringify(info)}\n`);
  }

  /** Runs main; a failure (bad file, port in use...) ends the process through fail(). */
  run(main: () => Promise<void>): void {
    main().catch((e: unknown) => this.fail(e instanceof Error ? e.message : String(e)));
  }
}
