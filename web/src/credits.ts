// The console's side of the credit module (@easycoda/credits, the WebAssembly build of the C++
// core in wasm/): it starts the module's engine, loads ledgers into it and keeps the answers asked
// of each. Components import the module's types from here and go through LedgerSession, so the
// console has one door to the core.
//
// Nothing here computes a rule: it asks the core and caches its answers.
import { createCreditEngine } from '@easycoda/credits';
import type {
  AccountSummaryReport, CreditEngine, CreditError, DailyRow, EntriesPage, EntriesQuery, ForecastReport, Ledger,
  LedgerEntry, ProjectReport, QuoteInput, QuoteReport, ReportQuery,
} from '@easycoda/credits';

/**
 * The account report as the console asks for it: without ledger[] (megabytes on a big account),
 * whose entries the Ledger tab asks for a page at a time (LedgerSession.entries).
 */
export type AccountReport = AccountSummaryReport;

export type {
  EntriesPage, EntriesQuery, Allocation, ChargeEntry, CreditEngine, CreditError, DailyRow, Figures,
  ForecastReport, Grant, GrantSource, LedgerEntry, ProjectReport, ProjectRow, QuoteInput,
  QuoteOption, QuoteReport, ReportQuery, SessionRow, SessionStatus, TaskRow, Catalog, UtcOffsetChange,
} from '@easycoda/credits';

/** The largest ledger file the console accepts (a bound of the page, not a rule of the core). */
export const LEDGER_BYTES_MAX = 64 * 1024 * 1024;

export async function startEngine(): Promise<CreditEngine> {
  return createCreditEngine();
}

/** The errors of a rejected document or question, or null when `error` is something else. */
export function documentErrors(error: unknown): CreditError[] | null {
  if (error && typeof error === 'object' && Array.isArray((error as { errors?: unknown }).errors)) {
    return (error as { errors: CreditError[] }).errors;
  }
  return null;
}

export type LoadResult =
  | { ok: true; session: LedgerSession }
  | { ok: false; errors: CreditError[] };

/** One loaded ledger and the answers asked of it so far. */
export class LedgerSession {
  readonly engine: CreditEngine;
  readonly text: string;
  readonly label: string;
  readonly isDemo: boolean;
  readonly ledger: Ledger;
  private readonly cache = new Map<string, unknown>();

  private constructor(engine: CreditEngine, text: string, ledger: Ledger, label: string, isDemo: boolean) {
    this.engine = engine;
    this.text = text;
    this.ledger = ledger;
    this.label = label;
    this.isDemo = isDemo;
  }

  /** Loads and validates a whole document; a rejected one yields its errors and no session. */
  static open(engine: CreditEngine, text: string, label: string, isDemo = false): LoadResult {
    try {
      const ledger = engine.load(text);
      return { ok: true, session: new LedgerSession(engine, text, ledger, label, isDemo) };
    } catch (error) {
      const errors = documentErrors(error);
      if (errors) return { ok: false, errors };
      throw error;
    }
  }

  get accountId(): string { return this.ledger.accountId; }
  get utcOffset(): string { return this.ledger.utcOffset; }
  get projects(): { id: string; name: string }[] { return this.ledger.projects; }

  account(query: ReportQuery): AccountReport {
    return this.memo(`account ${JSON.stringify(query)}`, () => this.ledger.report({ ...query, entries: false }));
  }

  /** A page of the report's ledger entries at `query.at`, as the engine orders and filters them. */
  entries(query: EntriesQuery): EntriesPage {
    return this.memo(`entries ${JSON.stringify(query)}`, () => this.ledger.entries(query));
  }

  /** Every ledger entry at `at` (for the CSV export), asked for in the engine's largest pages. */
  allEntries(at: string): LedgerEntry[] {
    const limit = 10000;
    const first = this.ledger.entries({ at, limit });
    const all = [...first.entries];
    // Each page adds `limit` entries until `total`: bounded by total / limit pages.
    while (all.length < first.total) all.push(...this.ledger.entries({ at, offset: all.length, limit }).entries);
    return all;
  }

  project(projectId: string, query: ReportQuery): ProjectReport {
    return this.memo(`project ${projectId} ${JSON.stringify(query)}`, () => this.ledger.project(projectId, query));
  }

  forecast(at: string): ForecastReport {
    return this.memo(`forecast ${at}`, () => this.ledger.forecast({ at }));
  }

  /**
   * The daily rows of the account report with the days cut in another zone: one offset
   * (`utc_offset`) or a zone's offsets over time (`utc_offsets`); the core cuts the days.
   */
  dailyIn(zone: Pick<ReportQuery, 'utc_offset' | 'utc_offsets'>, query: ReportQuery): DailyRow[] {
    if (zone.utc_offset === undefined && zone.utc_offsets === undefined) return this.account(query).daily;
    return this.account({ ...query, ...zone }).daily;
  }

  quote(input: QuoteInput): QuoteReport {
    return this.engine.quote(input);
  }

  dispose(): void {
    this.ledger.delete();
    this.cache.clear();
  }

  private memo<T>(key: string, compute: () => T): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const value = compute();
    if (this.cache.size > 200) this.cache.clear();
    this.cache.set(key, value);
    return value;
  }
}
