// Type declarations for the EasyCoda credit engine (WebAssembly build of the
// C++ core). Written by hand so the types say what the functions really return;
// the shapes mirror docs/report-format.md.

/** One problem found in a document or a question (spec §13). */
export interface CreditError {
  /** Stable code, e.g. "unknown_plan", "usage_after_completion". */
  code: string;
  /** The id of the event concerned, or null. */
  event_id: string | null;
  /** RFC 6901 JSON pointer to the offending member, e.g. "/events/4/tokens/output". */
  pointer: string;
  /** A sentence a person understands. */
  message: string;
}

/** Thrown when a ledger, rule set, catalog or question is rejected. Nothing is half-loaded. */
export class CreditDocumentError extends Error {
  readonly errors: CreditError[];
  /** The exact `{"errors": [...]}` text the core wrote (the native CLI prints the same bytes). */
  readonly json: string;
}

export interface FreeFigures {
  cache_hit_tokens: number; cache_hit_credits: string;
  summarization_tokens: number; summarization_credits: string;
  other_service_tokens: number; other_service_credits: string;
  cancelled_tokens: number; cancelled_credits: string;
  pending_tokens: number; pending_credits: string;
}

/** Usage figures: every token of the range lands in exactly one category. */
export interface Figures {
  charged_tokens: number; charged_credits: string;
  free: FreeFigures;
  free_tokens: number; free_credits: string;
  total_tokens: number; total_credits: string;
}

export type GrantSource = "signup" | "promotion" | "plan" | "purchase";

export interface Grant {
  id: string;
  source: GrantSource;
  granted_at: string;
  expires_at: string | null;
  granted_tokens: number; granted_credits: string;
  used_tokens: number; used_credits: string;
  expired_tokens: number; expired_credits: string;
  remaining_tokens: number; remaining_credits: string;
  /** Usable at the report's instant. */
  active: boolean;
  plan: string | null;
  pack: string | null;
  reason: string | null;
  period_start: string | null;
  period_end: string | null;
}

export interface Allocation { grant_id: string; source: GrantSource; tokens: number; credits: string }

interface LedgerEntryBase { at: string; balance_tokens: number; balance_credits: string }
export type LedgerEntry = LedgerEntryBase & (
  | { kind: "grant"; grant_id: string; source: GrantSource; tokens: number; credits: string }
  | { kind: "repayment"; grant_id: string; tokens: number; credits: string }
  | { kind: "expiry"; grant_id: string; tokens: number; credits: string }
  | { kind: "billing_failed"; event_id: string; plan: string }
  | OpeningEntry
  | ChargeEntry
);

/**
 * A checkpointed ledger's state just before its checkpoint (docs/checkpoint-format.md): one entry
 * per grant with tokens remaining, and one with `grant_id: null` for an outstanding overdraft.
 */
export interface OpeningEntry {
  kind: "opening";
  grant_id: string | null;
  source: GrantSource | null;
  tokens: number; credits: string;
  overdraft_tokens: number; overdraft_credits: string;
}

export interface ChargeEntry {
  kind: "charge";
  at: string;
  event_id: string;
  project_id: string; task_id: string; session_id: string;
  output_tokens: number; output_credits: string;
  input_cache_miss_tokens: number; input_cache_miss_credits: string;
  charged_tokens: number; charged_credits: string;
  allocations: Allocation[];
  overdraft_tokens: number; overdraft_credits: string;
  balance_tokens: number; balance_credits: string;
}

/** One entry of a zone's offsets over time: `from` is null for the offset in force before the first change. */
export interface UtcOffsetChange {
  from: string | null;
  offset: string;
}

interface ReportHeader {
  format: "easycoda.report/1";
  account_id: string;
  /** The offset of the daily rows; with `utc_offsets`, the one in force at `at`. */
  utc_offset: string;
  at: string;
  from: string;
  to: string;
  to_inclusive: boolean;
  /** Present only when the question gave `utc_offsets`: the zone the daily rows were cut in. */
  utc_offsets?: UtcOffsetChange[];
  /** Present only for a checkpointed ledger (docs/checkpoint-format.md): where its detail starts. */
  checkpoint_at?: string;
}

export interface DailyRow extends Figures { date: string }
export interface ProjectRow extends Figures { id: string; name: string }

export interface AccountReport extends ReportHeader {
  kind: "account";
  balance_tokens: number; balance_credits: string;
  overdraft_tokens: number; overdraft_credits: string;
  can_start_agent_chat: boolean;
  lifetime_charged_tokens: number; lifetime_charged_credits: string;
  balance_by_source: Record<GrantSource, { remaining_tokens: number; remaining_credits: string }>;
  expires_next: null | { expires_at: string; remaining_tokens: number; remaining_credits: string; grant_ids: string[] };
  /** From report(): shared by the reports at one instant and frozen (so are the next two). */
  readonly grants: readonly Readonly<Grant>[];
  readonly failed_billings: readonly Readonly<{ id: string; at: string; plan: string; period_start: string; period_end: string }>[];
  readonly billing_period: Readonly<BillingPeriod>;
  usage: Figures;
  projects: ProjectRow[];
  daily: DailyRow[];
  ledger: LedgerEntry[];
  duplicates_ignored: number;
  events_after_at: number;
}

/**
 * "This period" at T: the billing period of the active plan grants whose period has begun (the
 * latest-starting one's bounds), else the calendar month of T in the account's utc_offset; with
 * the low-balance warning's basis (those plan grants, else every active grant that granted tokens).
 */
export interface BillingPeriod {
  basis: "plan" | "calendar_month";
  start: string;
  /** Exclusive. */
  end: string;
  /** The usage range's start for "This period": max(start, the opening), never after T. */
  usage_from: string;
  grant_ids: readonly string[];
  granted_tokens: number; granted_credits: string;
  used_tokens: number; used_credits: string;
  /** floor(used × 10000 / granted); null when nothing is granted. */
  used_bp: number | null;
}
/** The account report without ledger[]: `ledger_entries` counts it, Ledger.entries() pages through it. */
export type AccountSummaryReport = Omit<AccountReport, "ledger"> & { ledger_entries: number };

export type LedgerEntryKind = LedgerEntry["kind"];
/** What append() added: distinct new events, and exact repeats it ignored. */
export interface AppendResult {
  accepted: number;
  duplicates_ignored: number;
}

export interface EntriesQuery {
  at: string | Date;
  /** Entries to skip, in the page's order (default 0). */
  offset?: number;
  /** Entries in the page, 1 to 10000 (default 40). */
  limit?: number;
  /** Keep only these kinds (default: all). */
  kind?: LedgerEntryKind | LedgerEntryKind[];
  /** "oldest": ledger[]'s order (the default); "newest": newest first. */
  order?: "oldest" | "newest";
}
/** A page of ledger[]: `total` entries of the kinds asked for, `entries` from `offset` on. */
export interface EntriesPage { at: string; total: number; offset: number; entries: LedgerEntry[] }

export type SessionStatus = "completed" | "cancelled" | "in_progress";

export interface SessionRow extends Figures {
  session_id: string;
  status: SessionStatus;
  completed_at: string | null;
  first_usage_at: string;
  last_usage_at: string;
  models: string[];
  output_tokens: number; output_credits: string;
  input_cache_miss_tokens: number; input_cache_miss_credits: string;
  input_cache_hit_tokens: number; input_cache_hit_credits: string;
  charge: ChargeEntry | null;
}

export interface TaskRow extends Figures {
  task_id: string;
  status: "active" | "cancelled";
  cancelled_at: string | null;
  cancel_reason: string | null;
  sessions: SessionRow[];
}

export interface ProjectReport extends ReportHeader {
  kind: "project";
  project: { id: string; name: string };
  usage: Figures;
  daily: DailyRow[];
  tasks: TaskRow[];
  untasked: Figures;
  /** Present only for a checkpointed ledger: the range's usage before the checkpoint, not in `tasks`. */
  before_checkpoint?: Figures;
}

export interface QuoteInput {
  output_tokens: number;
  input_tokens: number;
  /** Cache-hit rate in basis points, 0..10000. */
  cache_hit_rate_bp: number;
  /** Limit the plan options to this plan id. */
  plan?: string;
}

export interface QuotePackLine {
  id: string;
  name: string | null;
  count: number;
  credits_each_tokens: number; credits_each_credits: string;
  price_each_minor: number;
  /** count × credits each. */
  purchased_tokens: number; purchased_credits: string;
  /** count × price each. */
  cost_minor: number;
}

export interface QuoteOption {
  key: string;
  option: "free" | "packs" | "plan";
  plan_id: string | null;
  plan_name: string | null;
  needed_tokens: number; needed_credits: string;
  included_tokens: number; included_credits: string;
  shortfall_tokens: number; shortfall_credits: string;
  /** The cheapest mix of whole packs covering the shortfall: the packs bought, in catalog order (empty when none). */
  packs: QuotePackLine[];
  /** The packs' part of monthly_cost_minor. */
  packs_cost_minor: number;
  purchased_tokens: number; purchased_credits: string;
  left_over_tokens: number; left_over_credits: string;
  expiring_unused_tokens: number; expiring_unused_credits: string;
  monthly_cost_minor: number;
  covers_month: boolean;
  months_covered: number | null;
  recommended: boolean;
}

export interface QuoteReport {
  format: "easycoda.report/1";
  kind: "quote";
  currency: string;
  /** The question, echoed (with credits beside each token amount). */
  input: {
    output_tokens: number; output_credits: string;
    input_tokens: number; input_credits: string;
    cache_hit_rate_bp: number;
    plan: string | null;
  };
  input_cache_hit_tokens: number; input_cache_hit_credits: string;
  input_cache_miss_tokens: number; input_cache_miss_credits: string;
  needed_tokens: number; needed_credits: string;
  options: QuoteOption[];
  /** The key of the cheapest option that covers the month, or null when none does. */
  recommended: string | null;
}

export interface ForecastReport {
  format: "easycoda.report/1";
  kind: "forecast";
  account_id: string;
  at: string;
  window_start: string;
  window_end: string;
  window_charged_tokens: number; window_charged_credits: string;
  window_seconds: number;
  /** Rounded down; at most 2^53 − 1 (a window shorter than a day saturates). */
  rate_tokens_per_day: number;
  rate_credits_per_day: string;
  balance_tokens: number; balance_credits: string;
  runs_out_at: string | null;
  grants: { id: string; source: GrantSource; expires_at: string; remaining_tokens: number; remaining_credits: string; likely_unused_tokens: number; likely_unused_credits: string }[];
  /** The sum of grants[].likely_unused_tokens. */
  likely_unused_tokens: number; likely_unused_credits: string;
  /** The account report's expires_next instant and what of it is likely to go unused; null when nothing expires. */
  next_expiry: null | { expires_at: string; likely_unused_tokens: number; likely_unused_credits: string };
  /**
   * The Pricing calculator's "Replay my last 30 days": the agent_chat tokens of the sessions
   * charged in the forecast's window (output + input_cache_miss = window_charged_tokens), ready
   * for quote() as {output_tokens, input_tokens, cache_hit_rate_bp}.
   */
  replay: {
    output_tokens: number; output_credits: string;
    input_cache_miss_tokens: number; input_cache_miss_credits: string;
    input_cache_hit_tokens: number; input_cache_hit_credits: string;
    input_tokens: number; input_credits: string;
    /** floor(hit × 10000 / input), exact; 0 when there is no input. */
    cache_hit_rate_bp: number;
  };
}

/** A question about a loaded ledger: instants are RFC 3339 strings. */
export interface ReportQuery {
  at: string | Date;
  /**
   * An instant, `"last_30_days"` (the forecast's window: after T − 30 days) or a date
   * `"YYYY-MM-DD"` (the first instant of that day in the question's zone). The report's `from`
   * is the instant it resolved to.
   */
  from?: string | Date;
  /**
   * An instant (exclusive) or a date `"YYYY-MM-DD"`: through the end of that day in the
   * question's zone, cut at T (then `to_inclusive: true`).
   */
  to?: string | Date;
  /** Draw the daily rows in this offset ("+00:00") instead of the account's; totals do not change. */
  utc_offset?: string;
  /**
   * Instead of `utc_offset`: draw the daily rows in a zone whose offset changes (daylight saving).
   * The offset before the first change (`from: null`), then each change in time order, e.g.
   * `[{from: null, offset: "+01:00"}, {from: "2026-03-29T01:00:00Z", offset: "+02:00"}]`, or the
   * same as text: `"+01:00,2026-03-29T01:00:00Z=+02:00"`. At most 1024 changes; the core rejects
   * unsorted or duplicate changes and offsets beyond +-14:00 (docs/report-format.md).
   */
  utc_offsets?: string | { from?: string | Date | null; offset: string }[];
}

export interface Plan { id: string; name: string | null; monthly_tokens: number; monthly_credits: string; monthly_price_minor: number }
export interface Pack { id: string; name: string | null; credits_tokens: number; credits_credits: string; price_minor: number }
/** The rule set and catalog in use, as the core read them. */
export interface Catalog {
  currency: string;
  signup_tokens: number; signup_credits: string;
  plans: Plan[];
  packs: Pack[];
}

/** A parsed, validated ledger held inside the WebAssembly heap. Free it with delete(). */
export interface Ledger {
  readonly accountId: string;
  readonly utcOffset: string;
  readonly openedAt: string;
  /** The instant of the latest event: a sensible default for `at`. */
  readonly lastEventAt: string;
  /** Distinct events in the document (exact duplicates counted once). */
  readonly eventCount: number;
  readonly projects: { id: string; name: string }[];
  /**
   * The account report. What depends only on the instant (`grants`, `failed_billings`,
   * `billing_period`) is parsed once per instant, shared by the reports at that instant and
   * frozen (deeply, Object.freeze); the rest of the object is the caller's own.
   */
  report(query: ReportQuery & { entries?: true }): AccountReport;
  /** Without ledger[] (megabytes on a big account): page through it with entries(). */
  report(query: ReportQuery & { entries: false }): AccountSummaryReport;
  /** A page of the report's ledger[] at `at`; the same entries as ledger[], computed by the core. */
  entries(query: EntriesQuery): EntriesPage;
  entriesJson(query: EntriesQuery): string;
  /**
   * Adds a fragment (the same document shape: format, account, projects?, events) to the loaded
   * ledger, checked against everything loaded; exact repeats are ignored and counted. Throws a
   * CreditDocumentError (pointers into the fragment) when rejected, the ledger unchanged.
   */
  append(fragment: string | object): AppendResult;
  project(projectId: string, query: ReportQuery): ProjectReport;
  forecast(query: { at: string | Date }): ForecastReport;
  /** The same answers as the exact JSON text the native CLI prints. */
  reportJson(query: ReportQuery & { entries?: boolean }): string;
  projectJson(projectId: string, query: ReportQuery): string;
  forecastJson(query: { at: string | Date }): string;
  /**
   * The checkpointed document at `at` (docs/checkpoint-format.md): the account's state before it
   * and the events from it on, as ledger document text (load() accepts it); the native CLI's bytes.
   * `at` must come after the account's opening and not before the ledger's own checkpoint.
   */
  checkpoint(query: { at: string | Date }): string;
  delete(): void;
  [Symbol.dispose](): void;
}

export interface CreditEngine {
  /** Parses and validates once; throws CreditDocumentError. Bytes must be UTF-8. */
  load(ledger: string | Uint8Array | ArrayBuffer): Ledger;
  quote(input: QuoteInput): QuoteReport;
  quoteJson(input: QuoteInput | string): string;
  /** Exact decimal string with four fractional digits: 4200 -> "0.4200". */
  tokensToCredits(tokens: number): string;
  /** "12.5" or 12 -> 125000 tokens; throws CreditDocumentError on bad input. */
  creditsToTokens(credits: string | number): number;
  readonly catalog: Catalog;
  readonly signupCredits: string;
  /** Bytes the WebAssembly allocator holds for live objects (for leak checks). */
  heapBytes(): number;
  /** Size of the WebAssembly memory; it grows on demand and never shrinks. */
  memoryBytes(): number;
  /** Frees the engine. Ledgers it loaded must be deleted first. */
  delete(): void;
}

export interface CreditEngineOptions {
  /** Rule set document (JSON text or object); the shipped default when omitted. */
  rules?: string | object;
  /** Catalog document (JSON text or object); the shipped example when omitted. */
  catalog?: string | object;
  /** Where the .wasm file is served from (like Emscripten's locateFile). */
  locateFile?: (path: string, prefix: string) => string;
  /** The .wasm bytes, when the host has them already (Node, tests). */
  wasmBinary?: ArrayBuffer | Uint8Array;
}

export function createCreditEngine(options?: CreditEngineOptions): Promise<CreditEngine>;
