import { parseCgroupV1CpuQuota, parseCgroupV2CpuMax, usableCpus } from './cpu-limit';

test('cgroup v2 cpu.max: "max" is no limit, a quota is rounded up to whole CPUs', () => {
  expect(parseCgroupV2CpuMax('max 100000\n')).toBeUndefined();
  expect(parseCgroupV2CpuMax('200000 100000\n')).toBe(2);
  expect(parseCgroupV2CpuMax('150000 100000')).toBe(2);
  expect(parseCgroupV2CpuMax('50000 100000')).toBe(1);
  expect(parseCgroupV2CpuMax('400000')).toBe(4);
  expect(parseCgroupV2CpuMax('')).toBeUndefined();
  expect(parseCgroupV2CpuMax('garbage 100000')).toBeUndefined();
  expect(parseCgroupV2CpuMax('100000 0')).toBeUndefined();
});

test('cgroup v1: -1 is no limit, quota/period rounded up', () => {
  expect(parseCgroupV1CpuQuota('-1\n', '100000\n')).toBeUndefined();
  expect(parseCgroupV1CpuQuota('300000\n', '100000\n')).toBe(3);
  expect(parseCgroupV1CpuQuota('25000', '100000')).toBe(1);
  expect(parseCgroupV1CpuQuota('x', '100000')).toBeUndefined();
});

test('usable CPUs: the smaller of parallelism and the quota, at least 1', () => {
  expect(usableCpus({ parallelism: 8 })).toBe(8);
  expect(usableCpus({ parallelism: 8, cgroupV2CpuMax: '200000 100000' })).toBe(2);
  expect(usableCpus({ parallelism: 2, cgroupV2CpuMax: '800000 100000' })).toBe(2);
  expect(usableCpus({ parallelism: 4, cgroupV2CpuMax: 'max 100000' })).toBe(4);
  expect(usableCpus({ parallelism: 16, cgroupV1Quota: '250000', cgroupV1Period: '100000' })).toBe(3);
  expect(usableCpus({ parallelism: 16, cgroupV1Quota: '-1', cgroupV1Period: '100000' })).toBe(16);
  // v2 is the one in force when both hierarchies are mounted (hybrid): v1 is only a fallback.
  expect(usableCpus({ parallelism: 16, cgroupV2CpuMax: '100000 100000', cgroupV1Quota: '800000', cgroupV1Period: '100000' })).toBe(1);
  expect(usableCpus({ parallelism: 0 })).toBe(1);
  expect(usableCpus({ parallelism: 4, cgroupV2CpuMax: '1000 100000' })).toBe(1);
});
