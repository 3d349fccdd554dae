import fs from 'node:fs';

/** CPU time of one process, split into its main thread and all other threads, in milliseconds. */
export interface ProcessCpu {
  mainMs: number;
  otherMs: number;
}

/** CPU per request of one load run, in microseconds. */
export interface CpuPerRequest {
  /** The server's main thread (each instance's, summed): HTTP, Express, the receiver's checks. */
  mainUs: number;
  /** Every other thread of the server: the database thread, the checkpointer, V8's GC and compiler threads. */
  otherUs: number;
  /** The load generator (this process). */
  loadUs: number;
  /**
   * PostgreSQL only: the server processes serving the instances' connections. They are other
   * processes on the same cores, so a request's cost is not complete without them. Absent on SQLite,
   * whose database work runs in the server's own threads.
   */
  databaseUs?: number;
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

/** CPU milliseconds of each process (all its threads); processes already gone are left out. */
function cpuOfEach(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const cpu = processCpu(pid);
    if (cpu !== null) out.set(pid, cpu.mainMs + cpu.otherMs);
  }
  return out;
}

/**
 * Runs a load and reports the CPU it cost per request, in the server processes, in the
 * PostgreSQL backends serving them (listed before and after: a backend that connected during the
 * run counts from its start; one that disconnected during it is lost, rare under load) and in
 * this process.
 */
export async function withCpu<T extends { requests: number }>(
  pids: readonly number[],
  run: () => Promise<T>,
  databasePids?: () => Promise<number[]>,
): Promise<T & { cpu: CpuPerRequest | null }> {
  const database0 = databasePids === undefined ? null : cpuOfEach(await databasePids());
  const before = pids.map(processCpu);
  const load0 = process.cpuUsage();
  const result = await run();
  const load = process.cpuUsage(load0);
  const after = pids.map(processCpu);
  const database = databasePids === undefined ? null : cpuOfEach(await databasePids());
  if (result.requests === 0 || [...before, ...after].some((c) => c === null)) return { ...result, cpu: null };
  const perRequest = (ms: number) => (ms * 1000) / result.requests;
  const spent = (pick: (c: ProcessCpu) => number) => pids.reduce((sum, _pid, i) => sum + pick(after[i]!) - pick(before[i]!), 0);
  const cpu: CpuPerRequest = {
    mainUs: perRequest(spent((c) => c.mainMs)),
    otherUs: perRequest(spent((c) => c.otherMs)),
    loadUs: (load.user + load.system) / result.requests,
  };
  if (database !== null && database0 !== null) {
    cpu.databaseUs = perRequest([...database].reduce((sum, [pid, ms]) => sum + ms - (database0.get(pid) ?? 0), 0));
  }
  return { ...result, cpu };
}

/** CPU per item of the runs a CpuTally measured, in microseconds. */
export interface CpuPerItem {
  /** This process's main thread. */
  mainUs: number;
  /** This process's other threads (on SQLite the database thread and checkpointer; V8's helpers). */
  otherUs: number;
  /** The helper processes (the sink the posts go to). */
  helperUs: number;
  /** PostgreSQL only: the backends serving this process's connections. */
  databaseUs?: number;
}

/**
 * CPU of runs in this process, summed over every run measured (a round's items all count, so a
 * short round weighs less than a long one): this process's threads, helper processes, and the
 * PostgreSQL backends `databasePids` lists at each run's start and end.
 */
export class CpuTally {
  private mainMs = 0;
  private otherMs = 0;
  private helperMs = 0;
  private databaseMs = 0;
  private items = 0;
  private unreadable = false;

  constructor(
    private readonly helperPids: readonly number[],
    private readonly databasePids?: () => Promise<number[]>,
  ) {}

  async measure<T>(run: () => Promise<T>, items: (result: T) => number): Promise<T> {
    const database0 = this.databasePids === undefined ? null : cpuOfEach(await this.databasePids());
    const own0 = processCpu(process.pid);
    const helpers0 = cpuOfEach(this.helperPids);
    const result = await run();
    const own = processCpu(process.pid);
    const helpers = cpuOfEach(this.helperPids);
    const database = this.databasePids === undefined ? null : cpuOfEach(await this.databasePids());
    if (own0 === null || own === null || helpers.size < this.helperPids.length || helpers0.size < this.helperPids.length) {
      this.unreadable = true;
      return result;
    }
    this.mainMs += own.mainMs - own0.mainMs;
    this.otherMs += own.otherMs - own0.otherMs;
    for (const [pid, ms] of helpers) this.helperMs += ms - (helpers0.get(pid) ?? 0);
    if (database !== null && database0 !== null) for (const [pid, ms] of database) this.databaseMs += ms - (database0.get(pid) ?? 0);
    this.items += items(result);
    return result;
  }

  /** null when /proc was unreadable for any run, or nothing was measured. */
  perItem(): CpuPerItem | null {
    if (this.unreadable || this.items === 0) return null;
    const us = (ms: number) => (ms * 1000) / this.items;
    const cpu: CpuPerItem = { mainUs: us(this.mainMs), otherUs: us(this.otherMs), helperUs: us(this.helperMs) };
    if (this.databasePids !== undefined) cpu.databaseUs = us(this.databaseMs);
    return cpu;
  }
}
