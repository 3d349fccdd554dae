interface Sleeper {
  timer: NodeJS.Timeout;
  resolve(): void;
}

/**
 * An abortable sleep for the worker loop. A wake() that arrives while the loop is busy (claiming,
 * say) is remembered, so the next sleep returns at once: without that, work committed during a
 * claim would wait a full poll interval.
 */
export class Wakeup {
  private woken = false;
  private sleeper: Sleeper | null = null;

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(), ms);
      this.sleeper = { timer, resolve };
    });
  }

  wake(): void {
    if (this.sleeper) this.finish();
    else this.woken = true;
  }

  private finish(): void {
    const sleeper = this.sleeper;
    this.sleeper = null;
    if (!sleeper) return;
    clearTimeout(sleeper.timer);
    sleeper.resolve();
  }
}

/** Waits for work up to ms; true when the time ran out first. The timer never outlives the wait. */
export async function timedOut(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => false,
        () => false,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
