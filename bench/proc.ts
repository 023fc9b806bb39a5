import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** A process and its descendants (the workers of `service.workers`), from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    try {
      const children = readFileSync(`/proc/${tree[i]}/task/${tree[i]}/children`, 'utf8').trim();
      if (children) tree.push(...children.split(' ').map(Number));
    } catch {
      // the process ended meanwhile
    }
  }
  return tree;
}

/** CPU seconds (user + system) a process and its descendants have used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  let total = 0;
  for (const id of processTree(pid)) {
    const stat = readFileSync(`/proc/${id}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }
  return total;
}

/** Peak resident set size in MB (VmHWM) of the largest process of the tree, from /proc/<pid>/status. */
export function peakRssMb(pid: number): number {
  return Math.max(
    ...processTree(pid).map((id) => {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${id}/status`, 'utf8'));
      return match ? Number(match[1]) / 1024 : NaN;
    }),
  );
}
