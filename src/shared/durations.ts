// How answers round durations, so no answer shows a float like 72.99594900000011.

/** Our own answer times: two decimals, since most answers take well under a millisecond. */
export function answerMs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 100) / 100;
}

/** A subscriber's answer time, over the network: whole milliseconds. */
export function networkMs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms);
}
