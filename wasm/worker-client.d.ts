// Types for the worker client: the same answers as credits.d.ts, as promises,
// computed in a Web Worker so large ledgers never block the page.
import type {
  AccountReport, AccountSummaryReport, AppendResult, Catalog, CreditEngineOptions, EntriesPage, EntriesQuery, ForecastReport,
  ProjectReport, QuoteInput, QuoteReport, ReportQuery,
} from './credits.js';

export interface RemoteLedger {
  readonly accountId: string;
  readonly utcOffset: string;
  readonly openedAt: string;
  readonly lastEventAt: string;
  readonly eventCount: number;
  readonly projects: { id: string; name: string }[];
  report(query: ReportQuery & { entries?: true }): Promise<AccountReport>;
  report(query: ReportQuery & { entries: false }): Promise<AccountSummaryReport>;
  /** Ledger.reportJson in the worker: the report's exact text (the native CLI's bytes). */
  reportJson(query: ReportQuery & { entries?: boolean }): Promise<string>;
  entries(query: EntriesQuery): Promise<EntriesPage>;
  project(projectId: string, query: ReportQuery): Promise<ProjectReport>;
  forecast(query: { at: string | Date }): Promise<ForecastReport>;
  /** Ledger.append in the worker; the summary fields above follow the ledger once it resolves. */
  append(fragment: string | object): Promise<AppendResult>;
  /** Ledger.checkpoint in the worker: the checkpointed document's text. */
  checkpoint(query: { at: string | Date }): Promise<string>;
  delete(): Promise<void>;
}

export interface CreditWorker {
  readonly catalog: Catalog;
  /** An ArrayBuffer is transferred to the worker (not copied). Rejects with CreditDocumentError. */
  load(ledger: string | ArrayBuffer | Uint8Array): Promise<RemoteLedger>;
  quote(input: QuoteInput): Promise<QuoteReport>;
  tokensToCredits(tokens: number): Promise<string>;
  creditsToTokens(credits: string | number): Promise<number>;
  terminate(): void;
}

export interface CreditWorkerOptions extends CreditEngineOptions {
  /** A worker running credits-worker.js; created from this package when omitted. */
  worker?: Worker;
}

export function createCreditWorker(options?: CreditWorkerOptions): Promise<CreditWorker>;
