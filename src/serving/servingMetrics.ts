import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of the serving path, on their own registry (several servers may share a process). */
export class ServingMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'deployment' | 'endpoint' | 'status'>;
  readonly latency: Histogram<'deployment' | 'endpoint'>;
  readonly modelLatency: Histogram<'deployment'>;
  readonly overhead: Histogram<'deployment'>;
  readonly tokens: Counter<'deployment' | 'kind'>;
  readonly filterHits: Counter<'stage' | 'rule'>;
  readonly activeVersion: Gauge<'deployment' | 'model'>;
  readonly queueDepth: Gauge;
  readonly interactionsDropped: Counter;
  readonly degradations: Counter<'deployment' | 'metric'>;

  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'tuneledger_' });
    this.requests = new Counter({
      name: 'tuneledger_serving_requests_total',
      help: 'Inference requests by deployment, endpoint and HTTP status',
      labelNames: ['deployment', 'endpoint', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'tuneledger_serving_request_duration_seconds',
      help: 'Whole request latency, from arrival to the last byte',
      labelNames: ['deployment', 'endpoint'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.modelLatency = new Histogram({
      name: 'tuneledger_serving_model_duration_seconds',
      help: 'Time spent in the model (generation thread) per request',
      labelNames: ['deployment'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.overhead = new Histogram({
      name: 'tuneledger_serving_overhead_seconds',
      help: 'Time outside the model and the queue: routing, auth, redaction, filters, capture, thread messaging',
      labelNames: ['deployment'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05],
      registers,
    });
    this.tokens = new Counter({
      name: 'tuneledger_serving_tokens_total',
      help: 'Tokens processed, by kind (prompt, completion)',
      labelNames: ['deployment', 'kind'],
      registers,
    });
    this.filterHits = new Counter({
      name: 'tuneledger_serving_filter_hits_total',
      help: 'Input redactions and output blocks, by stage and rule',
      labelNames: ['stage', 'rule'],
      registers,
    });
    this.activeVersion = new Gauge({
      name: 'tuneledger_serving_active_version',
      help: 'The model version a deployment serves now',
      labelNames: ['deployment', 'model'],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'tuneledger_serving_queue_depth',
      help: 'Requests waiting for a generation thread',
      registers,
    });
    this.interactionsDropped = new Counter({
      name: 'tuneledger_serving_interactions_dropped_total',
      help: 'Interactions not recorded because the capture buffer was full or the log refused them',
      registers,
    });
    this.degradations = new Counter({
      name: 'tuneledger_serving_degradations_total',
      help: 'DegradationDetected events recorded by the monitors',
      labelNames: ['deployment', 'metric'],
      registers,
    });
  }
}
