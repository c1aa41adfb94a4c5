// Role: estimate how far this browser's clock is from the server's, so latency = arrival - message ts
// is measured on one clock. Same idea as NTP/Cristian's algorithm: ask GET /time, assume the server read
// its clock halfway through the round trip, and trust the sample with the shortest round trip most.
import { getJson } from './api.js';

/** Browser wall clock in microseconds, with sub-millisecond resolution from performance.now(). */
export function nowUs() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

export class Clock {
  constructor() {
    /** server_us - browser_us; add it to a browser instant to get the server's clock. */
    this.offsetUs = 0;
    /** Round trip of the sample used, in microseconds: the offset is accurate to about half of it. */
    this.rttUs = null;
  }

  /** Take `samples` readings of /time and keep the one with the smallest round trip. */
  async sync(samples = 5) {
    let best = null;
    for (let i = 0; i < samples; i++) {
      const t0 = nowUs();
      const { us } = await getJson('/time');
      const t1 = nowUs();
      const rtt = t1 - t0;
      if (!best || rtt < best.rtt) best = { rtt, offset: us - (t0 + t1) / 2 };
    }
    this.offsetUs = Math.round(best.offset);
    this.rttUs = best.rtt;
    return this;
  }

  /** Microseconds from a message's publish instant (server clock) to now. */
  latencyUs(tsUs) {
    return nowUs() + this.offsetUs - tsUs;
  }
}
