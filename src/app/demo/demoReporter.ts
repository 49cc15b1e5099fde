import cliProgress from 'cli-progress';

/** A step whose platform piece is not built (or not wired) yet: the demo says so and goes on. */
export class StepUnavailable extends Error {
  override readonly name = 'StepUnavailable';
}

export type StepStatus = 'ok' | 'unavailable' | 'failed' | 'skipped';

export interface StepResult {
  readonly index: number;
  readonly title: string;
  readonly status: StepStatus;
  readonly seconds: number;
  readonly note?: string;
}

export interface ProgressDisplay {
  update(value: number, total: number, label: string): void;
  stop(): void;
}

/**
 * Step lines with timings on stdout, and a cli-progress bar for long steps when stdout is a terminal
 * (otherwise a line at every quarter, so logs of a non-interactive run stay short).
 */
export class DemoReporter {
  readonly results: StepResult[] = [];

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly interactive = Boolean((out as { isTTY?: boolean }).isTTY),
  ) {}

  line(text = ''): void {
    this.out.write(`${text}\n`);
  }

  detail(text: string): void {
    this.line(`      ${text}`);
  }

  /** Runs one step; a StepUnavailable or an error is reported and the demo goes on. */
  async step<T>(index: number, title: string, body: () => Promise<T>): Promise<T | undefined> {
    this.line(`[${index}/${this.total}] ${title}`);
    const started = performance.now();
    const finish = (status: StepStatus, note?: string) => {
      const seconds = (performance.now() - started) / 1000;
      this.results.push({ index, title, status, seconds, ...(note ? { note } : {}) });
      const mark = status === 'ok' ? 'done' : status === 'unavailable' ? 'NOT AVAILABLE' : 'FAILED';
      this.line(`      ${mark} in ${seconds.toFixed(1)} s${note ? `: ${note}` : ''}`);
    };
    try {
      const value = await body();
      finish('ok');
      return value;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      finish(error instanceof StepUnavailable ? 'unavailable' : 'failed', message);
      return undefined;
    }
  }

  /** A step that cannot run because an earlier one it needs did not finish. */
  skip(index: number, title: string, because: string): void {
    this.line(`[${index}/${this.total}] ${title}`);
    this.line(`      SKIPPED: ${because}`);
    this.results.push({ index, title, status: 'skipped', seconds: 0, note: because });
  }

  progress(label: string): ProgressDisplay {
    if (this.interactive) {
      const bar = new cliProgress.SingleBar(
        { format: '      {bar} {value}/{total} {label}', hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      return {
        update: (value, total, text) => {
          if (!started) bar.start(total, value, { label: text });
          started = true;
          bar.setTotal(total);
          bar.update(value, { label: text });
        },
        stop: () => started && bar.stop(),
      };
    }
    let lastQuarter = -1;
    return {
      update: (value, total, text) => {
        const quarter = Math.floor((value / Math.max(total, 1)) * 4);
        if (quarter === lastQuarter) return;
        lastQuarter = quarter;
        this.detail(`${label} ${value}/${total} ${text}`);
      },
      stop: () => undefined,
    };
  }
}
