// The console's side of the credit module (@easycoda/credits, the WebAssembly build of the C++
// core in wasm/): it starts the module's engine, loads ledgers into it and keeps the answers asked
// of each. Components import the module's types from here and go through LedgerSession, so the
// console has one door to the core.
//
// Nothing here computes a rule: it asks the core and caches its answers.
import { createCreditEngine } from '@easycoda/credits';
import type {
  AccountSummaryReport, AppendResult, CreditEngine, CreditError, DailyRow, EntriesPage, EntriesQuery, ForecastReport, Ledger,
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

type Answer<T> = T | Promise<T>;

/**
 * A loaded ledger as the console asks it: the engine's Ledger in this page (answers at once) or
 * the worker's RemoteLedger (the same core in a Web Worker; answers are promises).
 */
export interface LedgerBackend {
  readonly accountId: string;
  readonly utcOffset: string;
  readonly openedAt: string;
  readonly lastEventAt: string;
  readonly eventCount: number;
  readonly projects: { id: string; name: string }[];
  report(query: ReportQuery & { entries: false }): Answer<AccountSummaryReport>;
  entries(query: EntriesQuery): Answer<EntriesPage>;
  project(projectId: string, query: ReportQuery): Answer<ProjectReport>;
  forecast(query: { at: string }): Answer<ForecastReport>;
  /** The account report's exact text (the server's and the CLI's bytes): the cross-check digests it. */
  reportJson(query: ReportQuery): Answer<string>;
  append(fragment: string): Answer<AppendResult>;
  delete(): unknown;
}

/**
 * Thrown by a question whose answer is still being computed in the worker: renders show a
 * "computing" state (describe.ts guard) and the session fires "answer" when it arrives, so the
 * component asks again and finds it. `ready` resolves then (it never rejects: a refusal is kept
 * and thrown by every later ask, as the in-page engine throws it).
 */
export class PendingAnswer extends Error {
  readonly ready: Promise<void>;
  constructor(ready: Promise<void>) {
    super('The answer is being computed.');
    this.name = 'PendingAnswer';
    this.ready = ready;
  }
}

/** A failure of the worker itself, shaped as the engine's errors so a view explains it (describe.ts guard). */
function workerFailure(error: unknown): { errors: CreditError[] } {
  const message = error instanceof Error ? error.message : String(error);
  return { errors: [{ code: 'worker_failed', event_id: null, pointer: '', message: `The credit worker could not answer: ${message}` }] };
}

/** The most questions one view waits for in turn (settle): a view asks a handful. */
const SETTLE_ROUNDS_MAX = 64;

/**
 * One loaded ledger and the answers asked of it so far. It fires "answer" when an answer computed
 * in the worker arrives.
 */
export class LedgerSession extends EventTarget {
  readonly engine: CreditEngine;
  readonly label: string;
  readonly isDemo: boolean;
  readonly ledger: LedgerBackend;
  /** True when the ledger lives in the Web Worker (a large document). */
  readonly inWorker: boolean;
  private readonly cache = new Map<string, unknown>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly refusals = new Map<string, unknown>();
  /** Bumped by each append: an answer computed before it is not kept (it is of the older ledger). */
  private generation = 0;

  private constructor(engine: CreditEngine, ledger: LedgerBackend, label: string, isDemo: boolean, inWorker: boolean) {
    super();
    this.engine = engine;
    this.ledger = ledger;
    this.label = label;
    this.isDemo = isDemo;
    this.inWorker = inWorker;
  }

  /** Loads and validates a whole document in the page; a rejected one yields its errors and no session. */
  static open(engine: CreditEngine, text: string, label: string, isDemo = false): LoadResult {
    try {
      const ledger: Ledger = engine.load(text);
      return { ok: true, session: new LedgerSession(engine, ledger, label, isDemo, false) };
    } catch (error) {
      const errors = documentErrors(error);
      if (errors) return { ok: false, errors };
      throw error;
    }
  }

  /**
   * A document already loaded and validated in the worker (CreditWorker.load). `engine` is the
   * page's, for the catalog and quotes, which need no ledger.
   */
  static fromWorker(engine: CreditEngine, remote: LedgerBackend, label: string): LedgerSession {
    return new LedgerSession(engine, remote, label, false, true);
  }

  /**
   * Runs `ask` until every answer it needs has arrived, and returns what it returns: for code
   * outside a render (the first answer before a ledger is shown, a button's action).
   */
  async settle<T>(ask: () => T): Promise<T> {
    for (let round = 0; ; round++) {
      try {
        return ask();
      } catch (error) {
        if (!(error instanceof PendingAnswer) || round >= SETTLE_ROUNDS_MAX) throw error;
        await error.ready;
      }
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
  async allEntries(at: string): Promise<LedgerEntry[]> {
    const limit = 10000;
    const first = await this.ledger.entries({ at, limit });
    const all = [...first.entries];
    // Each page adds `limit` entries until `total`: bounded by total / limit pages.
    while (all.length < first.total) {
      const page = await this.ledger.entries({ at, offset: all.length, limit });
      if (page.entries.length === 0) throw new Error(`The engine gave no entries at offset ${all.length} of ${first.total}.`);
      all.push(...page.entries);
    }
    return all;
  }

  project(projectId: string, query: ReportQuery): ProjectReport {
    return this.memo(`project ${projectId} ${JSON.stringify(query)}`, () => this.ledger.project(projectId, query));
  }

  forecast(at: string): ForecastReport {
    return this.memo(`forecast ${at}`, () => this.ledger.forecast({ at }));
  }

  get eventCount(): number { return this.ledger.eventCount; }

  /**
   * Adds a fragment (the server's /changes answer) to the loaded ledger; the core checks it
   * against everything loaded. Every kept answer is dropped (the ledger changed) and "answer" fires
   * so the views ask again. Rejects with the core's errors when the fragment is refused.
   */
  async append(fragment: string): Promise<AppendResult> {
    const result = await this.ledger.append(fragment);
    this.generation++;
    this.cache.clear();
    this.refusals.clear();
    this.pending.clear();
    this.dispatchEvent(new Event('answer'));
    return result;
  }

  /** The account report's exact text at `at`, as the server answers GET report?at= (its bytes). */
  async reportText(at: string): Promise<string> {
    return this.ledger.reportJson({ at });
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
    void this.ledger.delete();
    this.cache.clear();
    this.refusals.clear();
  }

  /** The cached answer to `key`, or the engine's (at once in the page, later from the worker). */
  private memo<T>(key: string, compute: () => Answer<T>): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    // The same question of the same ledger is refused the same way: the refusal is kept as an answer.
    if (this.refusals.has(key)) throw this.refusals.get(key);
    const waiting = this.pending.get(key);
    if (waiting) throw new PendingAnswer(waiting);
    const value = compute();
    if (!(value instanceof Promise)) {
      this.keep(key, value);
      return value;
    }
    const generation = this.generation;
    const ready = value.then(
      (answer) => { if (generation === this.generation) this.keep(key, answer); },
      (refusal: unknown) => {
        if (generation !== this.generation) return;
        if (this.refusals.size > 200) this.refusals.clear();
        // A worker that failed (not a refused question) is explained where the answer would be.
        this.refusals.set(key, documentErrors(refusal) ? refusal : workerFailure(refusal));
      },
    ).finally(() => {
      if (generation === this.generation) this.pending.delete(key);
      this.dispatchEvent(new Event('answer'));
    });
    this.pending.set(key, ready);
    throw new PendingAnswer(ready);
  }

  private keep(key: string, value: unknown): void {
    if (this.cache.size > 200) this.cache.clear();
    this.cache.set(key, value);
  }
}
