/** The otelcol `retry_on_failure` settings that shape the waits; milliseconds. */
export interface BackoffSettings {
  initial_interval: number;
  max_interval: number;
  multiplier: number;
  randomization_factor: number;
}

/**
 * Exponential backoff as otelcol's retry sender computes it: the interval starts at
 * `initial_interval`, grows by `multiplier` up to `max_interval`, and each wait is drawn uniformly
 * from interval × [1 - randomization_factor, 1 + randomization_factor] so that many exporters
 * (or many app instances) failing together do not retry in lockstep. The exporter helper and the
 * SDK both use it.
 */
export class ExponentialBackoff {
  private interval: number;

  constructor(
    private readonly config: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {
    this.interval = config.initial_interval;
  }

  /** Back to `initial_interval`, after a success. */
  reset(): void {
    this.interval = this.config.initial_interval;
  }

  /** The next wait in milliseconds; advances the interval. */
  next(): number {
    const spread = this.interval * this.config.randomization_factor;
    const wait = this.interval - spread + this.random() * 2 * spread;
    this.interval = Math.min(this.interval * this.config.multiplier, this.config.max_interval);
    return wait;
  }
}
