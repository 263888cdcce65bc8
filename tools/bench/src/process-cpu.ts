import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc's CPU times (getconf CLK_TCK; 100 when it cannot be read). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 });
    const n = Number((r.stdout ?? '').trim());
    ticksPerSecond = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return ticksPerSecond;
}

/** CPU time (user + system, all threads) a live process has used so far, in ms, from /proc. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14 and stime 15 (1-based, proc(5)).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot parse /proc/${pid}/stat`);
  return ((utime + stime) * 1000) / clockTicks();
}

/**
 * CPU time of this process's children that have exited and been reaped (cutime + cstime of
 * /proc/self/stat), in ms: around one load-generator run, the load generator's CPU.
 */
export function reapedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // cutime and cstime are fields 16 and 17 (1-based, proc(5)); rest[0] is field 3.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[13]) + Number(rest[14])) * 1000) / clockTicks();
}

/** This process's CPU time so far (user + system, all threads), in ms. */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU used between begin() and end(), with the wall time, for a child and for this process. */
export class CpuMeter {
  private t0 = 0n;
  private child0 = 0;
  private own0 = 0;
  wallMs = 0;
  childMs = 0;
  ownMs = 0;

  constructor(private readonly pid: number) {}

  begin(): void {
    this.t0 = process.hrtime.bigint();
    this.child0 = processCpuMs(this.pid);
    this.own0 = ownCpuMs();
  }

  end(): void {
    this.wallMs = Number(process.hrtime.bigint() - this.t0) / 1e6;
    try {
      this.childMs = processCpuMs(this.pid) - this.child0;
    } catch {
      this.childMs = Number.NaN; // the child exited: the row is flagged anyway
    }
    this.ownMs = ownCpuMs() - this.own0;
  }
}
