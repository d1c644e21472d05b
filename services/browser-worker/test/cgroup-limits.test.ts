import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { containerSize } from '../src/config.js';
import { CgroupLimits } from '../src/pool/cgroup-limits.js';
import { SystemSampler } from '../src/pool/system-sampler.js';

const GiB = 2 ** 30;

/** A cgroup v2 directory as the kernel shows a container's, in a temporary folder. */
function cgroupDir(files: Record<string, string>): { root: string; write(name: string, text: string): void; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'xauth-cgroup-'));
  const write = (name: string, text: string) => writeFileSync(join(root, name), `${text}\n`);
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

describe('container limits from the cgroup (unit, a cgroup v2 directory in a temporary folder)', () => {
  it('when the container has a CPU quota and a memory limit, then they are read as cores and bytes', () => {
    const dir = cgroupDir({
      'cpu.max': '150000 100000',
      'cpu.stat': 'usage_usec 123456\nuser_usec 1',
      'memory.max': String(GiB),
      'memory.current': String(GiB / 4),
    });
    try {
      const limits = new CgroupLimits(dir.root);
      expect(limits.cpuQuotaCores()).to.equal(1.5);
      expect(limits.cpuUsageMicros()).to.equal(123456);
      expect(limits.memoryLimitBytes()).to.equal(GiB);
      expect(limits.memoryLeftBytes()).to.equal((3 * GiB) / 4);
    } finally {
      dir.remove();
    }
  });

  it('when the cgroup says max, or has no such files (cgroup v1, not Linux), then there is no limit and the machine counts', () => {
    const dir = cgroupDir({ 'cpu.max': 'max 100000', 'memory.max': 'max' });
    try {
      for (const limits of [new CgroupLimits(dir.root), new CgroupLimits(join(dir.root, 'missing'))]) {
        expect(limits.cpuQuotaCores()).to.equal(undefined);
        expect(limits.memoryLimitBytes()).to.equal(undefined);
        expect(limits.memoryLeftBytes()).to.equal(undefined);
        expect(containerSize(limits)).to.deep.equal([availableParallelism(), totalmem()]);
      }
    } finally {
      dir.remove();
    }
  });

  it('when the quota is below the cores, then the default ceiling counts its whole cores (at least one) and the memory limit', () => {
    const dir = cgroupDir({ 'cpu.max': '150000 100000', 'memory.max': String(GiB) });
    const half = cgroupDir({ 'cpu.max': '50000 100000' });
    try {
      expect(containerSize(new CgroupLimits(dir.root))).to.deep.equal([Math.min(availableParallelism(), 1), Math.min(totalmem(), GiB)]);
      expect(containerSize(new CgroupLimits(half.root))[0]).to.equal(1);
    } finally {
      dir.remove();
      half.remove();
    }
  });

  it("when the container has a quota, then the sampler's CPU is the cgroup's use against it and its memory what is left under the limit", async () => {
    const dir = cgroupDir({
      'cpu.max': '100000 100000',
      'cpu.stat': 'usage_usec 1000000',
      'memory.max': String(GiB),
      'memory.current': String(GiB - 64 * 2 ** 20),
    });
    const sampler = new SystemSampler(new CgroupLimits(dir.root));
    try {
      await sleep(50);
      // No CPU used by the container over the interval, whatever the machine did.
      const idle = await sampler.sample();
      expect(idle.cpu).to.equal(0);
      expect(idle.freeMemoryBytes).to.be.at.most(64 * 2 ** 20);
      // Ten CPU-seconds in a moment: the quota (one core) is spent.
      dir.write('cpu.stat', 'usage_usec 11000000');
      await sleep(50);
      expect((await sampler.sample()).cpu).to.equal(1);
    } finally {
      sampler.stop();
      dir.remove();
    }
  });
});
