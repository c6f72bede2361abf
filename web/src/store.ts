// The console's state: the engine, the ledger shown, and the instant it is shown at.
import { LEDGER_BYTES_MAX, LedgerSession, documentErrors, startEngine, type AccountReport, type CreditEngine, type CreditError, type ReportQuery } from './credits';
import { formatDate, formatDayLong } from './format';

/** The built-in demo account and the instant its story is told at (web/public/demo/README.md). */
export const DEMO_LEDGER_URL = 'demo/ledger.json';
export const DEMO_AT = '2026-12-01T00:00:00Z';

export interface Rejection { label: string; errors: CreditError[] }

export type Status = 'starting' | 'ready' | 'failed';

export class ConsoleStore extends EventTarget {
  status: Status = 'starting';
  failure = '';
  engine: CreditEngine | null = null;
  session: LedgerSession | null = null;
  demo: LedgerSession | null = null;
  at = DEMO_AT;
  rejection: Rejection | null = null;

  async start(at: string | null): Promise<void> {
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

  /** Loads a ledger file in the page; on rejection the shown account stays as it was. */
  async loadFile(file: File): Promise<boolean> {
    if (!this.engine) return false;
    if (file.size > LEDGER_BYTES_MAX) {
      this.reject(file.name, [{ code: 'document_too_large', event_id: null, pointer: '',
        message: `The file is ${file.size} bytes; the console reads ledgers up to ${LEDGER_BYTES_MAX} bytes.` }]);
      return false;
    }
    const text = await file.text();
    return this.loadText(text, file.name);
  }

  loadText(text: string, label: string): boolean {
    if (!this.engine) return false;
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
    if (this.demo) this.replace(this.demo, DEMO_AT);
  }

  setAt(at: string): void {
    this.at = at;
    this.changed();
  }

  dismissRejection(): void {
    this.rejection = null;
    this.changed();
  }

  private replace(session: LedgerSession, at: string): void {
    if (this.session && this.session !== this.demo) this.session.dispose();
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
