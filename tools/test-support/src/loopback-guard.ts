import { Socket } from 'node:net';

/**
 * For tests of code that drives a cloud SDK: records the destination (`host:port`) of every
 * outgoing TCP connection of this process and refuses any that is not loopback before a packet
 * leaves (the socket is destroyed at connect time). `restore()` undoes the patch.
 */
export function guardLoopback(): { destinations: string[]; refused: string[]; restore(): void } {
  const destinations: string[] = [];
  const refused: string[] = [];
  const original = Socket.prototype.connect;
  type Connect = (this: Socket, ...args: unknown[]) => Socket;
  const patched: Connect = function (this: Socket, ...args: unknown[]): Socket {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const opts = typeof first === 'object' && first !== null ? (first as { host?: string; port?: number; path?: string }) : undefined;
    const host = opts?.path !== undefined ? `unix:${opts.path}` : (opts?.host ?? (typeof args[1] === 'string' ? args[1] : 'localhost'));
    destinations.push(`${host}:${opts?.port ?? String(first)}`);
    if (!/^(127\.\d+\.\d+\.\d+|localhost|::1|unix:.*)$/.test(host)) {
      refused.push(host);
      this.destroy(new Error(`non-loopback connection refused by the test guard: ${host}`));
      return this;
    }
    return (original as unknown as Connect).apply(this, args);
  };
  Socket.prototype.connect = patched as unknown as typeof Socket.prototype.connect;
  return { destinations, refused, restore: () => void (Socket.prototype.connect = original) };
}
