// A progress line on stderr: redrawn in place on a terminal, printed every few seconds otherwise (logs, CI).
export class Progress {
  private last = 0;
  private readonly start = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly quiet = false,
  ) {}

  update(done: number, info: Record<string, string | number> = {}): void {
    if (this.quiet) return;
    const now = Date.now();
    if (done < this.total && now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    if (!Number.isFinite(this.total)) return this.unbounded(done, now, info);
    const frac = this.total ? done / this.total : 1;
    const width = 24;
    const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '·');
    const secs = (now - this.start) / 1000;
    const eta = frac > 0 ? secs / frac - secs : 0;
    const extra = fields(info);
    const line = `${this.label} ${bar} ${done}/${this.total}  ${secs.toFixed(0)}s (eta ${eta.toFixed(0)}s)  ${extra}`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}${done >= this.total ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  }

  /** No known end (the seed's adjust loop runs until its rule stops it): a count and the rate, no bar. */
  private unbounded(done: number, now: number, info: Record<string, string | number>): void {
    const secs = (now - this.start) / 1000;
    const extra = fields(info);
    const line =
      `${this.label} ${done} done, no cap  ${secs.toFixed(0)}s ` +
      `(${(secs / Math.max(1, done)).toFixed(1)}s each)  ${extra}`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  }
}

/** The info fields of a progress line: "name value" pairs, numbers shortened. */
function fields(info: Record<string, string | number>): string {
  return Object.entries(info)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNum(v) : v}`)
    .join('  ');
}

function fmtNum(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

export function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}
