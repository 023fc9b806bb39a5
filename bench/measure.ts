/**
 * Runs `fn` after a warm-up (so V8 has optimised it) for about `seconds` of this process's CPU
 * time; returns CPU-seconds per million records, `recordsPerCall` records a call.
 */
export function cpuPerMillionRecords(fn: () => unknown, recordsPerCall: number, seconds: number): number {
  for (let i = 0; i < 300; i++) fn();
  const before = process.cpuUsage();
  let calls = 0;
  let used = 0;
  while (used < seconds * 1e6) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
    const spent = process.cpuUsage(before);
    used = spent.user + spent.system;
  }
  return used / 1e6 / ((calls * recordsPerCall) / 1e6);
}
