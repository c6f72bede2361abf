// The console's state: the engine, the ledger shown, and the instant it is shown at.
import { LEDGER_BYTES_MAX, LedgerSession, documentErrors, startEngine, type AccountReport, type CreditEngine, type CreditError, type ReportQuery } from './credits';
import { formatDate, formatDayLong } from './format';
import type { CreditWorker, RemoteLedger } from '@easycoda/credits/worker';
import { startCreditWorker } from './worker';
import { LiveLink, takeLiveConfig, type LiveConfig } from './live';

/** The built-in demo account and the instant its story is told at (web/public/demo/README.md). */
export const DEMO_LEDGER_URL = 'demo/ledger.json';
export const DEMO_AT = '2026-12-01T00:00:00Z';

export interface Rejection { label: string; errors: CreditError[] }

export type Status = 'starting' | 'ready' | 'failed';

/**
 * Files from this size on are read and answered in the Web Worker, so the page never freezes;
 * smaller ones in the page (answers at once, no "computing" state). Both run the same core, so
 * the figures are the same either way.
 */
export const WORKER_BYTES_MIN = 2 * 1024 * 1024;

/** A file is read in slices of this size, so the progress bar moves and no task is long. */
const READ_SLICE_BYTES = 1024 * 1024;

/** A large file on its way to the worker: what the progress indicator shows. */
export interface Loading {
  label: string;
  /** "reading": the file's bytes into memory; "checking": the engine loads and checks them. */
  phase: 'reading' | 'checking';
  bytesRead: number;
  bytesTotal: number;
}

export class ConsoleStore extends EventTarget {
  status: Status = 'starting';
  failure = '';
  engine: CreditEngine | null = null;
  session: LedgerSession | null = null;
  demo: LedgerSession | null = null;
  at = DEMO_AT;
  rejection: Rejection | null = null;
  loading: Loading | null = null;
  /** The link to credits-server, when the page was opened with a token for it (live.ts). */
  live: LiveLink | null = null;
  /** The live account's session (the home the "Back" menu returns to), once loaded. */
  liveSession: LedgerSession | null = null;
  /** An instant the user picked ("As of"); null: the live account is shown at now, ticking. */
  pinnedAt: string | null = null;
  private worker: Promise<CreditWorker> | null = null;
  /** Bumped by each load and by cancel: a load whose number is no longer current is dropped. */
  private loadNumber = 0;

  async start(at: string | null, live: LiveConfig | null = takeLiveConfig()): Promise<void> {
    if (live) return this.startLive(at, live);
    try {
      const [engine, text] = await Promise.all([startEngine(), fetchText(DEMO_LEDGER_URL)]);
      this.engine = engine;
      const result = LedgerSession.open(engine, text, 'Demo account', true);
      if (!result.ok) throw new Error(`The demo ledger was rejected: ${result.errors.map((e) => e.message).join(' ')}`);
      this.demo = result.session;
      this.session = result.session;
      this.at = at ?? DEMO_AT;
      this.status = 'ready';
    } catch (error) {
      this.status = 'failed';
      this.failure = error instanceof Error ? error.message : String(error);
    }
    this.changed();
  }

  /**
   * The live account: the engine starts, the link fetches the ledger from the server and follows
   * its changes. Nothing is shown until the first ledger is loaded whole (the link's state says why
   * it is not yet: connecting, offline, sign-in needed).
   */
  private async startLive(at: string | null, config: LiveConfig): Promise<void> {
    try {
      this.engine = await startEngine();
    } catch (error) {
      this.status = 'failed';
      this.failure = error instanceof Error ? error.message : String(error);
      return this.changed();
    }
    this.pinnedAt = at;
    this.at = at ?? nowInstant();
    const engine = this.engine;
    this.live = new LiveLink(config, {
      engine,
      workerBytesMin: WORKER_BYTES_MIN,
      worker: () => this.startWorker(),
      at: () => this.pinnedAt ?? nowInstant(),
      loaded: (session) => {
        const showing = this.session === null || this.session === this.liveSession;
        const previous = this.liveSession;
        this.liveSession = session;
        if (showing) {
          this.session = session;
          this.at = this.pinnedAt ?? nowInstant();
          this.rejection = null;
        }
        if (previous && previous !== session) previous.dispose();
        this.status = 'ready';
        this.changed();
      },
      appended: () => {
        if (this.session === this.liveSession && !this.pinnedAt) this.at = nowInstant();
        this.changed();
      },
      changed: () => this.changed(),
    });
    this.changed();
    // "Now" moves on: once a second the figures are asked again at the new instant (in the page
    // the answers come at once; in the worker every few seconds, so views are not always computing).
    let ticks = 0;
    // The page's life: the interval is never cleared (the console has one store).
    setInterval(() => {
      ticks++;
      if (this.pinnedAt || !this.session || this.session !== this.liveSession) return;
      if (this.session.inWorker && ticks % 10 !== 0) return;
      this.at = nowInstant();
      this.changed();
    }, 1000);
    void this.live.run();
  }

  /** Shows the live account at now again (after an "As of" instant was picked). */
  followNow(): void {
    this.pinnedAt = null;
    this.at = nowInstant();
    this.changed();
    this.live?.recheck();
  }

  private startWorker(): Promise<CreditWorker> {
    // One worker for the page's life, started on the first large document; a failed start is retried.
    this.worker ??= startCreditWorker().catch((error: unknown) => { this.worker = null; throw error; });
    return this.worker;
  }

  /** Loads a ledger file in the page; on rejection the shown account stays as it was. */
  async loadFile(file: File): Promise<boolean> {
    if (!this.engine) return false;
    if (file.size > LEDGER_BYTES_MAX) {
      this.reject(file.name, [{ code: 'document_too_large', event_id: null, pointer: '',
        message: `The file is ${file.size} bytes; the console reads ledgers up to ${LEDGER_BYTES_MAX} bytes.` }]);
      return false;
    }
    if (file.size >= WORKER_BYTES_MIN) return this.loadInWorker(file);
    const number = ++this.loadNumber;
    const text = await file.text();
    if (number !== this.loadNumber) return false;
    return this.loadText(text, file.name);
  }

  /** Stops following the large file being loaded; the account shown stays as it was. */
  cancelLoading(): void {
    this.loadNumber++;
    this.loading = null;
    this.changed();
  }

  /**
   * Reads a large file in slices (progress), hands its bytes to the worker (transferred, not
   * copied), and shows the account once its first report has arrived: whole or not at all.
   */
  private async loadInWorker(file: File): Promise<boolean> {
    const engine = this.engine!;
    const number = ++this.loadNumber;
    const current = () => number === this.loadNumber;
    this.rejection = null;
    this.loading = { label: file.name, phase: 'reading', bytesRead: 0, bytesTotal: file.size };
    this.changed();
    try {
      const bytes = new Uint8Array(file.size);
      // ceil(size / slice) reads, size ≤ LEDGER_BYTES_MAX.
      for (let offset = 0; offset < file.size; offset += READ_SLICE_BYTES) {
        const slice = new Uint8Array(await file.slice(offset, offset + READ_SLICE_BYTES).arrayBuffer());
        if (!current()) return false;
        bytes.set(slice, offset);
        this.loading = { ...this.loading!, bytesRead: offset + slice.length };
        this.changed();
      }
      this.loading = { ...this.loading!, phase: 'checking' };
      this.changed();
      const worker = await this.startWorker();
      let remote: RemoteLedger;
      try {
        remote = await worker.load(bytes.buffer);
      } catch (error) {
        const errors = documentErrors(error);
        if (!errors) throw error;
        if (current()) this.reject(file.name, errors);
        return false;
      }
      const session = LedgerSession.fromWorker(engine, remote, file.name);
      const at = remote.lastEventAt;
      await session.settle(() => session.account({ at }));
      if (!current()) {
        session.dispose();
        return false;
      }
      this.replace(session, at);
      return true;
    } catch (error) {
      if (current()) {
        this.reject(file.name, [{ code: 'worker_failed', event_id: null, pointer: '',
          message: `The file could not be read in the background: ${error instanceof Error ? error.message : String(error)}` }]);
      }
      return false;
    } finally {
      if (current()) {
        this.loading = null;
        this.changed();
      }
    }
  }

  loadText(text: string, label: string): boolean {
    if (!this.engine) return false;
    this.loadNumber++;
    this.loading = null;
    const result = LedgerSession.open(this.engine, text, label);
    if (!result.ok) {
      this.reject(label, result.errors);
      return false;
    }
    // Ask the first answer before showing anything, so a ledger is shown whole or not at all.
    const at = result.session.ledger.lastEventAt;
    try {
      result.session.account({ at });
    } catch (error) {
      result.session.dispose();
      throw error;
    }
    this.replace(result.session, at);
    return true;
  }

  resetToDemo(): void {
    this.loadNumber++;
    this.loading = null;
    if (this.liveSession) this.replace(this.liveSession, this.pinnedAt ?? nowInstant());
    else if (this.demo) this.replace(this.demo, DEMO_AT);
  }

  /** The session the console started on: the live account or the demo. */
  get home(): LedgerSession | null { return this.liveSession ?? this.demo; }

  setAt(at: string): void {
    const live = this.live && this.session === this.liveSession;
    if (live) this.pinnedAt = at;
    this.at = at;
    this.changed();
    if (live) this.live!.recheck();
  }

  dismissRejection(): void {
    this.rejection = null;
    this.changed();
  }

  private replace(session: LedgerSession, at: string): void {
    if (this.session && this.session !== this.demo && this.session !== this.liveSession) this.session.dispose();
    this.session = session;
    this.at = at;
    this.rejection = null;
    this.changed();
  }

  private reject(label: string, errors: CreditError[]): void {
    this.rejection = { label, errors };
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}

/** Now, in whole seconds (the server's reports without `at` answer whole seconds too). */
function nowInstant(): string {
  return `${new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`Could not load ${url} (HTTP ${response.status}).`);
  return response.text();
}

// ---------- usage ranges ----------

export type RangeKind = 'period' | 'last30' | 'all' | 'custom';

export interface RangeChoice { kind: RangeKind; from?: string; to?: string }

export interface ResolvedRange {
  /** The range as instants (the core's answer), for every further question about it. */
  query: ReportQuery;
  /** The account report of the range. */
  report?: AccountReport;
  /** Human description, e.g. "Nov 5, 2026 – Dec 1, 2026". */
  label: string;
  error?: string;
}

/**
 * Turns a range choice into a report question. The core resolves every bound: "This period" is
 * the report's billing_period (the active plan's billing period at T, else the calendar month of
 * T), "Last 30 days" is `from: "last_30_days"` (the forecast's window), and custom dates are whole
 * days in the account's offset (`from`/`to` as "YYYY-MM-DD"). The report says which instants
 * they came to; those are what the rest of the page asks about.
 */
export function resolveRange(session: LedgerSession, at: string, choice: RangeChoice): ResolvedRange {
  const offset = session.utcOffset;
  const describe = (report: AccountReport) => `${formatDate(report.from, offset)} – ${formatDate(report.to, offset)}`;
  let asked: ReportQuery;
  switch (choice.kind) {
    case 'all': asked = { at }; break;
    case 'last30': asked = { at, from: 'last_30_days' }; break;
    case 'period': asked = { at, from: session.account({ at }).billing_period.usage_from }; break;
    case 'custom':
      if (!choice.from || !choice.to) return { query: { at }, label: '', error: 'Choose both dates.' };
      asked = { at, from: choice.from, to: choice.to };
      break;
  }
  let report: AccountReport;
  try {
    report = session.account(asked);
  } catch (error) {
    const errors = documentErrors(error);
    if (!errors) throw error;
    return { query: { at }, label: '', error: errors.map((e) => e.message).join(' ') };
  }
  const query: ReportQuery = report.to_inclusive ? { at, from: report.from } : { at, from: report.from, to: report.to };
  switch (choice.kind) {
    case 'period':
      return { query, report, label: `${report.billing_period.basis === 'plan' ? 'Plan period' : 'This month'}: ${describe(report)}` };
    case 'custom':
      return { query, report, label: `${formatDayLong(choice.from!)} – ${formatDayLong(choice.to!)}` };
    default:
      return { query, report, label: describe(report) };
  }
}
