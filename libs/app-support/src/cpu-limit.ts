/**
 * How many CPUs this process may use: the smaller of what the scheduler lets it run on
 * (os.availableParallelism(), which follows the CPU affinity mask) and its cgroup's CPU quota,
 * rounded up; at least 1. Pure: main.ts reads the cgroup files and passes their contents.
 */
export interface CpuLimitInputs {
  /** os.availableParallelism(). */
  parallelism: number;
  /** Contents of cgroup v2 `/sys/fs/cgroup/cpu.max` ("max 100000" or "200000 100000"), if present. */
  cgroupV2CpuMax?: string;
  /** Contents of cgroup v1 `cpu.cfs_quota_us` ("-1" = no limit), if present. */
  cgroupV1Quota?: string;
  /** Contents of cgroup v1 `cpu.cfs_period_us`, if present. */
  cgroupV1Period?: string;
}

/** The cgroup files main.ts reads for usableCpus (a missing file means no limit from it). */
export const CGROUP_CPU_FILES = {
  v2CpuMax: '/sys/fs/cgroup/cpu.max',
  v1Quota: '/sys/fs/cgroup/cpu/cpu.cfs_quota_us',
  v1Period: '/sys/fs/cgroup/cpu/cpu.cfs_period_us',
} as const;

/** A quota over a period as whole CPUs, rounded up; undefined for no limit or unparsable input. */
function quotaCpus(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return Math.max(1, Math.ceil(quota / period));
}

function integer(s: string | undefined): number {
  const t = (s ?? '').trim();
  return /^-?\d+$/.test(t) ? Number(t) : Number.NaN;
}

/** cgroup v2 cpu.max: "<quota|max> <period>" (period optional, default 100000). */
export function parseCgroupV2CpuMax(contents: string): number | undefined {
  const [quota, period] = contents.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  return quotaCpus(integer(quota), period === undefined ? 100_000 : integer(period));
}

/** cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us ("-1": no limit). */
export function parseCgroupV1CpuQuota(quota: string, period: string): number | undefined {
  return quotaCpus(integer(quota), integer(period));
}

/** min(parallelism, cgroup quota rounded up), at least 1. v2 wins when both are given. */
export function usableCpus(inputs: CpuLimitInputs): number {
  const parallelism = Number.isInteger(inputs.parallelism) && inputs.parallelism > 0 ? inputs.parallelism : 1;
  let quota: number | undefined;
  if (inputs.cgroupV2CpuMax !== undefined) quota = parseCgroupV2CpuMax(inputs.cgroupV2CpuMax);
  if (quota === undefined && inputs.cgroupV1Quota !== undefined && inputs.cgroupV1Period !== undefined) {
    quota = parseCgroupV1CpuQuota(inputs.cgroupV1Quota, inputs.cgroupV1Period);
  }
  return Math.max(1, Math.min(parallelism, quota ?? parallelism));
}
