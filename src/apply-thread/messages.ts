// What the HTTP thread and the apply thread say to each other.

export interface ApplyThreadData {
  databasePath: string;
  busyTimeoutMs: number;
  commitMaxBatch: number;
  logLevel: string;
  concurrency: number;
  leaseMs: number;
  idlePollMs: number;
}

export type ToThread = { type: 'wake' } | { type: 'stop'; deadlineMs: number };

export type FromThread =
  | { type: 'started' }
  /** Receipt-to-apply latency (ms) of events applied since the last report. */
  | { type: 'applied'; latenciesMs: number[] }
  | { type: 'finished'; kind: string; result: 'succeeded' | 'retry' | 'dead' }
  | { type: 'stopped' };
