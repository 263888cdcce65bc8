import { Writable } from 'node:stream';

/** Bytes one write(2) to a pipe delivers without interleaving with another writer (POSIX PIPE_BUF on Linux). */
const PIPE_BUF = 4096;

/**
 * Event lines to a stdout shared by several workers: writes whole lines in groups of at most
 * PIPE_BUF bytes, so that lines of different workers never interleave mid-line (a longer single
 * line is written alone). stdout pipes are synchronous on Linux; backpressure is passed on.
 */
export class LineGroupedWriter extends Writable {
  constructor(private readonly out: NodeJS.WritableStream) {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let ok = true;
    let group = '';
    let groupBytes = 0;
    for (const line of text.split(/(?<=\n)/)) {
      const bytes = Buffer.byteLength(line);
      if (groupBytes + bytes > PIPE_BUF && group !== '') {
        ok = this.out.write(group) && ok;
        group = '';
        groupBytes = 0;
      }
      group += line;
      groupBytes += bytes;
    }
    if (group !== '') ok = this.out.write(group) && ok;
    if (ok) callback();
    else this.out.once('drain', () => callback());
  }
}
