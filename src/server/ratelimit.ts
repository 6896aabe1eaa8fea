// Per-key rate limits: a token bucket per caller (API key id, or the client address for
// key-less loopback requests). Each request takes one token; tokens refill continuously.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** perMinute requests on average, bursts of up to `burst`. perMinute 0 turns limiting off. */
  constructor(readonly perMinute: number, readonly burst = Math.max(1, perMinute), private readonly clock = () => performance.now()) {}

  /** Takes a token for `who`: 0 when allowed, else the seconds until one is available. */
  take(who: string): number {
    if (this.perMinute <= 0) return 0;
    const t = this.clock();
    const rate = this.perMinute / 60000; // tokens per ms
    let b = this.buckets.get(who);
    if (!b) {
      if (this.buckets.size > 100_000) this.buckets.clear(); // bound memory against address churn
      this.buckets.set(who, b = { tokens: this.burst, at: t });
    }
    b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * rate);
    b.at = t;
    if (b.tokens >= 1) { b.tokens -= 1; return 0; }
    return (1 - b.tokens) / rate / 1000;
  }
}
