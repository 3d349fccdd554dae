// The one module-level state of the delivery core: which workers are running in this process.
// Tests assert it is empty after each file (a leaked worker leaks timers into the next file), and
// duplicate ids are refused because two workers sharing an id could complete each other's leases.
const running = new Set<string>();

export function registerWorker(id: string): void {
  if (running.has(id)) throw new Error(`a worker with id "${id}" is already running`);
  running.add(id);
}

export function unregisterWorker(id: string): void {
  running.delete(id);
}

/** Ids of workers started and not yet stopped. */
export function runningWorkers(): string[] {
  return [...running];
}
