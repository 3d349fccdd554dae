import fs from 'node:fs';

/** CPU time of one process, split into its main thread and all other threads, in milliseconds. */
export interface ProcessCpu {
  mainMs: number;
  otherMs: number;
}

/** CPU per request of one load run, in microseconds. */
export interface CpuPerRequest {
  /** The server's main thread: HTTP, Express, the receiver's checks. */
  mainUs: number;
  /** Every other thread of the server: the database thread, the checkpointer, V8's GC and compiler threads. */
  otherUs: number;
  /** The load generator (this process). */
  loadUs: number;
}

const TICK_MS = 10; // Linux reports utime/stime in USER_HZ ticks, 100 per second.

/** Reads /proc (Linux only); null elsewhere or once the process is gone. */
export function processCpu(pid: number): ProcessCpu | null {
  try {
    let mainMs = 0;
    let otherMs = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
      if (Number(tid) === pid) mainMs += ms;
      else otherMs += ms;
    }
    return { mainMs, otherMs };
  } catch {
    return null;
  }
}

/** Runs a load and reports the CPU it cost per request, in the server and in this process. */
export async function withCpu<T extends { requests: number }>(pid: number, run: () => Promise<T>): Promise<T & { cpu: CpuPerRequest | null }> {
  const before = processCpu(pid);
  const load0 = process.cpuUsage();
  const result = await run();
  const load = process.cpuUsage(load0);
  const after = processCpu(pid);
  if (before === null || after === null || result.requests === 0) return { ...result, cpu: null };
  const perRequest = (ms: number) => (ms * 1000) / result.requests;
  return {
    ...result,
    cpu: {
      mainUs: perRequest(after.mainMs - before.mainMs),
      otherUs: perRequest(after.otherMs - before.otherMs),
      loadUs: (load.user + load.system) / result.requests,
    },
  };
}
