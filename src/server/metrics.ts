// Prometheus text exposition (format 0.0.4) of the server's counters, histograms and gauges.
// Hand-written: a handful of series do not need a client library.

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

class Histogram {
  readonly counts: number[] = new Array(LATENCY_BUCKETS.length).fill(0);
  sum = 0;
  count = 0;
  observe(v: number): void {
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (v <= LATENCY_BUCKETS[i]) this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string>) => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

export class Metrics {
  private readonly requests = new Map<string, number>(); // "route\0status" -> count
  private readonly latency = new Map<string, Histogram>();
  private readonly ttft = new Histogram();
  readonly tokens = { prompt: 0, completion: 0, reasoning: 0 };
  private readonly started = Date.now();

  constructor(private readonly gauges: () => { queueDepth: number; active: number; streams: number }) {}

  request(route: string, status: number, seconds: number): void {
    const k = `${route}\0${status}`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    let h = this.latency.get(route);
    if (!h) this.latency.set(route, h = new Histogram());
    h.observe(seconds);
  }

  firstToken(seconds: number): void {
    this.ttft.observe(seconds);
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP ponder_http_requests_total HTTP requests by route and status.', '# TYPE ponder_http_requests_total counter');
    for (const [k, n] of [...this.requests].sort()) {
      const [route, status] = k.split('\0');
      out.push(`ponder_http_requests_total${labels({ route, status })} ${n}`);
    }
    out.push('# HELP ponder_http_request_duration_seconds Time from request to the last byte of the response.',
      '# TYPE ponder_http_request_duration_seconds histogram');
    for (const [route, h] of [...this.latency].sort()) histogram(out, 'ponder_http_request_duration_seconds', h, { route });
    out.push('# HELP ponder_time_to_first_token_seconds Time from request to the first generated text.',
      '# TYPE ponder_time_to_first_token_seconds histogram');
    histogram(out, 'ponder_time_to_first_token_seconds', this.ttft, {});
    out.push('# HELP ponder_tokens_total Tokens processed: prompt, completion (reasoning included), reasoning.', '# TYPE ponder_tokens_total counter');
    for (const [kind, n] of Object.entries(this.tokens)) out.push(`ponder_tokens_total${labels({ kind })} ${n}`);
    const g = this.gauges();
    out.push('# HELP ponder_queue_depth Generations waiting for a slot.', '# TYPE ponder_queue_depth gauge', `ponder_queue_depth ${g.queueDepth}`);
    out.push('# HELP ponder_active_generations Generations being decoded now.', '# TYPE ponder_active_generations gauge', `ponder_active_generations ${g.active}`);
    out.push('# HELP ponder_open_streams Streaming responses open now.', '# TYPE ponder_open_streams gauge', `ponder_open_streams ${g.streams}`);
    out.push('# HELP ponder_uptime_seconds Seconds since the server started.', '# TYPE ponder_uptime_seconds gauge',
      `ponder_uptime_seconds ${((Date.now() - this.started) / 1000).toFixed(3)}`);
    return out.join('\n') + '\n';
  }
}

function histogram(out: string[], name: string, h: Histogram, l: Record<string, string>): void {
  LATENCY_BUCKETS.forEach((b, i) => out.push(`${name}_bucket${labels({ ...l, le: String(b) })} ${h.counts[i]}`));
  out.push(`${name}_bucket${labels({ ...l, le: '+Inf' })} ${h.count}`);
  out.push(`${name}_sum${labels(l)} ${h.sum}`);
  out.push(`${name}_count${labels(l)} ${h.count}`);
}
