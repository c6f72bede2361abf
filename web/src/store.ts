// The console's state: the engine, the ledger shown, and the instant it is shown at.
import { LEDGER_BYTES_MAX, LedgerSession, startEngine, type CreditEngine, type CreditError, type ReportQuery } from './credits';
import { formatDate, formatDayLong, midnightIn } from './format';

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
  query: ReportQuery;
  /** Human description, e.g. "Nov 5, 2026 – Dec 1, 2026". */
  label: string;
  error?: string;
}

const DAY_MS = 86400000;

/**
 * Turns a range choice into a report question. "This period" is the report's billing_period
 * (the core's: the active plan's billing period at T, else the calendar month of T).
 */
export function resolveRange(session: LedgerSession, at: string, choice: RangeChoice): ResolvedRange {
  const offset = session.utcOffset;
  const describe = (from: string, to: string) => `${formatDate(from, offset)} – ${formatDate(to, offset)}`;
  switch (choice.kind) {
    case 'all': {
      const from = session.ledger.openedAt;
      return { query: { at }, label: describe(from, at) };
    }
    case 'last30': {
      const from = new Date(Date.parse(at) - 30 * DAY_MS).toISOString().replace('.000Z', 'Z');
      return { query: { at, from: maxInstant(from, session.ledger.openedAt) }, label: describe(from, at) };
    }
    case 'period': {
      // The core decides the period (the plan's billing period, else the calendar month).
      const period = session.account({ at }).billing_period;
      const start = period.usage_from;
      return { query: { at, from: start }, label: `${period.basis === 'plan' ? 'Plan period' : 'This month'}: ${describe(start, at)}` };
    }
    case 'custom': {
      if (!choice.from || !choice.to) return { query: { at }, label: '', error: 'Choose both dates.' };
      if (choice.to < choice.from) return { query: { at }, label: '', error: 'The end date is before the start date.' };
      const from = midnightIn(choice.from, offset);
      const end = midnightIn(nextDate(choice.to), offset);
      if (Date.parse(from) > Date.parse(at)) return { query: { at }, label: '', error: 'The range starts after the report instant.' };
      const query: ReportQuery = Date.parse(end) >= Date.parse(at) ? { at, from } : { at, from, to: end };
      return { query, label: `${formatDayLong(choice.from)} – ${formatDayLong(choice.to)}` };
    }
  }
}

function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

function maxInstant(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
