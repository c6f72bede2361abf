// The console on credits-server: the account's ledger is fetched once (GET console-ledger), loaded
// into the page's credit engine (the Web Worker for a large answer), and kept current by following
// GET changes (long-poll) and appending each fragment. Every figure is the page's core's; after each
// update the server is asked for its report of the same instant with the digest of the page's own
// report bytes (If-None-Match), so a difference between the two is seen, never hidden.
//
// Nothing here computes a rule: it moves documents between the server and the core, compares two
// digests, and decides when to show a notice.
import { LedgerSession, documentErrors, type AccountReport, type CreditEngine } from './credits';
import type { CreditWorker } from '@easycoda/credits/worker';
import { formatCredits, formatDateTime, formatPercent } from './format';

/** Where the console reads its account: credits-server on this page's own origin. */
export interface LiveConfig { accountId: string; token: string }

const CONFIG_KEY = 'easycoda.live';
const ACCOUNT_ID = /^[A-Za-z0-9._:~-]{1,128}$/;
const TOKEN = /^[A-Za-z0-9._~-]{1,256}$/;

/**
 * The read token and account, taken from the URL's fragment (`#token=…&account=…`, which the
 * browser never sends to a server, so no log sees it) into sessionStorage (this tab only), and
 * removed from the address bar at once. Later loads of the tab read sessionStorage.
 */
export function takeLiveConfig(): LiveConfig | null {
  const hash = location.hash.replace(/^#/, '');
  if (hash.startsWith('token=')) {
    const params = new URLSearchParams(hash);
    const token = params.get('token') ?? '';
    const accountId = params.get('account') ?? '';
    history.replaceState(null, '', `${location.pathname}${location.search}#/projects`);
    if (TOKEN.test(token) && ACCOUNT_ID.test(accountId)) {
      const config = { token, accountId };
      try { sessionStorage.setItem(CONFIG_KEY, JSON.stringify(config)); } catch { /* private mode: this load only */ }
      return config;
    }
    return null;
  }
  try {
    const stored = JSON.parse(sessionStorage.getItem(CONFIG_KEY) ?? 'null') as Partial<LiveConfig> | null;
    if (stored && TOKEN.test(stored.token ?? '') && ACCOUNT_ID.test(stored.accountId ?? '')) {
      return { token: stored.token!, accountId: stored.accountId! };
    }
  } catch { /* unreadable: no live account */ }
  return null;
}

export function forgetLiveConfig(): void {
  try { sessionStorage.removeItem(CONFIG_KEY); } catch { /* nothing kept */ }
}

/** The link's state, as the banner shows it. */
export type LinkState =
  | 'connecting'     // the first console-ledger is on its way
  | 'live'           // following changes
  | 'offline'        // the server did not answer: the figures shown are the last ones, stale
  | 'unauthorized'   // 401: the token is not (or no longer) valid
  | 'no-account'     // 404: no such account for this token (not yet ingested, or another account's token)
  | 'reloading';     // a fragment was refused: the whole ledger is fetched again

/** The cross-check of the page's report with the server's, for one instant. */
export type Check =
  | { kind: 'none' }
  | { kind: 'checking'; at: string }
  | { kind: 'match'; at: string; digest: string }
  | { kind: 'mismatch'; at: string; consoleDigest: string; serverDigest: string; consoleBalance: string; serverBalance: string }
  | { kind: 'unavailable'; at: string; reason: string };

/** An in-page notice of a live update (aria-live): the low-balance threshold or an expiry soon. */
export interface Alert { id: number; kind: 'low-balance' | 'expiring'; text: string }

/** What the link tells the store. */
export interface LinkHost {
  engine: CreditEngine;
  /** A document at or above this size is loaded in the worker. */
  workerBytesMin: number;
  worker(): Promise<CreditWorker>;
  /** A fresh session from the server (the first load, or a reload): shown at once. */
  loaded(session: LedgerSession): void;
  /** The instant the figures are shown at (now, unless the user picked one). */
  at(): string;
  /** After an append: the instant moves to now (unless pinned) and the views ask again. */
  appended(): void;
  changed(): void;
}

/** The longest a long-poll is asked to wait (s), and how long the page waits for any answer (ms). */
const WAIT_S = 25;
const REQUEST_TIMEOUT_MS = 35_000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** Within this of an expiry, a live update that makes it so shows a notice (a window of the page, not a rule). */
export const EXPIRY_NOTICE_MS = 7 * 24 * 3600 * 1000;
const THRESHOLD_KEY = 'easycoda.lowBalancePercent';

class HttpStatus extends Error {
  constructor(readonly status: number, readonly retryAfterS: number) { super(`HTTP ${status}`); }
}

export class LiveLink {
  state: LinkState = 'connecting';
  /** The figures shown are older than the server's (it did not answer). */
  stale = false;
  check: Check = { kind: 'none' };
  alerts: Alert[] = [];
  /** Wall-clock ms of the last answer from the server. */
  lastContactMs = 0;
  retryAtMs = 0;
  /** Requests made, by route (the tests read these to prove history is not fetched again). */
  readonly counts = { consoleLedger: 0, changes: 0, report: 0 };
  private cursor = -1;
  private session: LedgerSession | null = null;
  private stopped = false;
  private alertNumber = 0;
  private checkNumber = 0;

  constructor(readonly config: LiveConfig, private readonly host: LinkHost) {}

  get path(): string { return `/v1/accounts/${encodeURIComponent(this.config.accountId)}`; }

  /** Runs until stop(): each turn is one request, bounded by REQUEST_TIMEOUT_MS, then a bounded wait on failure. */
  async run(): Promise<void> {
    let backoffMs = BACKOFF_MIN_MS;
    while (!this.stopped) {
      try {
        if (!this.session) await this.load();
        else await this.follow();
        backoffMs = BACKOFF_MIN_MS;
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof HttpStatus && error.status === 401) {
          this.state = 'unauthorized';
          this.host.changed();
          return;
        }
        if (error instanceof HttpStatus && error.status === 429) {
          await this.sleep(Math.max(1, error.retryAfterS) * 1000);
          continue;
        }
        // Unreachable, or an answer that is not the API's: keep the last figures, marked stale.
        // No such account (yet): the same retries, with its own explanation.
        this.state = error instanceof HttpStatus && error.status === 404 ? 'no-account' : 'offline';
        this.stale = this.session !== null;
        this.retryAtMs = Date.now() + backoffMs;
        this.host.changed();
        await this.sleep(backoffMs);
        backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
      }
    }
  }

  stop(): void { this.stopped = true; }

  /** Cross-checks the instant now shown (after the user picked an "As of" instant, or "Now"). */
  recheck(): void {
    if (this.session && this.state === 'live') void this.crossCheck();
  }

  dismissAlert(id: number): void {
    this.alerts = this.alerts.filter((a) => a.id !== id);
    this.host.changed();
  }

  private async request(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${this.config.token}`, ...headers },
      cache: 'no-store', credentials: 'omit', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (response.status === 401 || response.status === 429 || response.status >= 500 || response.status === 404) {
      throw new HttpStatus(response.status, Number(response.headers.get('Retry-After') ?? '1'));
    }
    return response;
  }

  /** The whole ledger (checkpointed by the server when the account is old), loaded whole or not at all. */
  private async load(): Promise<void> {
    this.counts.consoleLedger++;
    const response = await this.request(`${this.path}/console-ledger`);
    if (!response.ok) throw new HttpStatus(response.status, 1);
    const cursor = Number(response.headers.get('Credits-Cursor') ?? 'NaN');
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new Error('The server gave no Credits-Cursor with the ledger.');
    const bytes = await response.arrayBuffer();
    let session: LedgerSession;
    if (bytes.byteLength >= this.host.workerBytesMin) {
      const worker = await this.host.worker();
      session = LedgerSession.fromWorker(this.host.engine, await worker.load(bytes), 'Live account');
    } else {
      const result = LedgerSession.open(this.host.engine, new TextDecoder().decode(bytes), 'Live account');
      if (!result.ok) throw new Error(`The server's ledger was refused by the console's engine: ${result.errors[0]?.message ?? ''}`);
      session = result.session;
    }
    await session.settle(() => session.account({ at: this.host.at() }));
    if (this.stopped) return session.dispose();
    this.session = session;
    this.cursor = cursor;
    this.contact();
    this.host.loaded(session);
    void this.crossCheck();
  }

  private async follow(): Promise<void> {
    this.counts.changes++;
    const response = await this.request(`${this.path}/changes?after=${this.cursor}&wait=${WAIT_S}`);
    const next = Number(response.headers.get('Credits-Cursor') ?? 'NaN');
    if (response.status === 204) {
      if (Number.isSafeInteger(next)) this.cursor = next;
      return this.contact();
    }
    if (response.status !== 200 || !Number.isSafeInteger(next)) throw new HttpStatus(response.status, 1);
    const fragment = await response.text();
    const session = this.session!;
    const before = this.watched(session);
    try {
      await session.append(fragment);
    } catch (error) {
      if (!documentErrors(error)) throw error;
      // The page's ledger and the server's disagree about what came before: start again from the
      // server's ledger (fetched whole), showing the last figures meanwhile.
      this.state = 'reloading';
      this.session = null;
      this.host.changed();
      return;
    }
    this.cursor = next;
    this.contact();
    this.host.appended();
    this.notice(before, this.watched(session));
    void this.crossCheck();
  }

  private contact(): void {
    this.state = 'live';
    this.stale = false;
    this.lastContactMs = Date.now();
    this.host.changed();
  }

  /** What the notices watch, from the core's report at the shown instant. */
  private watched(session: LedgerSession): { report: AccountReport | null; at: string } {
    const at = this.host.at();
    try {
      return { report: session.account({ at }), at };
    } catch {
      return { report: null, at };  // still computing in the worker: no notice for this update
    }
  }

  /**
   * A notice when this update made the low-balance warning true (the core's used share against the
   * user's threshold, the comparison the Usage panel makes) or made an expiry come within 7 days.
   */
  private notice(before: { report: AccountReport | null; at: string }, after: { report: AccountReport | null; at: string }): void {
    if (!before.report || !after.report) return;
    const threshold = storedThreshold();
    const low = (r: AccountReport) => threshold > 0 && r.billing_period.used_bp !== null && r.billing_period.used_bp >= threshold * 100;
    if (!low(before.report) && low(after.report)) {
      this.push('low-balance', `Low balance: you have now used more than your warning's ${threshold}% (${formatPercent(after.report.billing_period.used_bp! / 10000, true)} used).`);
    }
    // An expiry within 7 days that this update brought: none was that near before, or another
    // grant (a new one, expiring sooner) is now the next to expire.
    const soon = (r: AccountReport, at: string) => r.expires_next !== null &&
      Date.parse(r.expires_next.expires_at) - Date.parse(at) <= EXPIRY_NOTICE_MS;
    const next = after.report.expires_next;
    const sameGrants = (a: string[], b: string[]) => a.length === b.length && a.every((id, i) => id === b[i]);
    if (next && soon(after.report, after.at) && (!soon(before.report, before.at) ||
        !sameGrants(before.report.expires_next!.grant_ids, next.grant_ids))) {
      this.push('expiring', `${formatCredits(next.remaining_credits)} credits expire within 7 days, on ${formatDateTime(next.expires_at, after.report.utc_offset)}.`);
    }
  }

  private push(kind: Alert['kind'], text: string): void {
    this.alerts = [...this.alerts.slice(-4), { id: ++this.alertNumber, kind, text }];
    this.host.changed();
  }

  /**
   * Asks the server for its report at the instant shown, sending the digest of the page's own
   * report bytes: 304 is a match; 200 carries the server's report, whose balance is shown beside
   * the page's. A newer check supersedes an older one still on its way.
   */
  private async crossCheck(): Promise<void> {
    const session = this.session;
    if (!session) return;
    const number = ++this.checkNumber;
    const at = this.host.at();
    this.check = { kind: 'checking', at };
    this.host.changed();
    let check: Check;
    try {
      if (!globalThis.crypto?.subtle) throw new Error('This page is not a secure context (https or localhost), so it cannot compute digests.');
      const text = await session.reportText(at);
      const digest = await digestOf(text);
      this.counts.report++;
      const response = await this.request(`${this.path}/report?at=${encodeURIComponent(at)}`, { 'If-None-Match': `"${digest}"` });
      if (response.status === 304) {
        check = { kind: 'match', at, digest };
      } else if (response.status === 200) {
        const serverText = await response.text();
        const serverDigest = (response.headers.get('ETag') ?? '').replace(/^W\//, '').replace(/"/g, '');
        const server = JSON.parse(serverText) as { balance_credits?: unknown };
        const mine = JSON.parse(text) as { balance_credits: string };
        check = { kind: 'mismatch', at, consoleDigest: digest, serverDigest: serverDigest || await digestOf(serverText),
          consoleBalance: mine.balance_credits, serverBalance: String(server.balance_credits ?? '(none)') };
      } else {
        check = { kind: 'unavailable', at, reason: `The server answered HTTP ${response.status}.` };
      }
    } catch (error) {
      check = { kind: 'unavailable', at, reason: error instanceof Error ? error.message : String(error) };
    }
    if (number !== this.checkNumber || this.stopped) return;
    this.check = check;
    this.host.changed();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** "sha256:" and the first 32 hex digits of the SHA-256 of the text's UTF-8 bytes: the server's ETag. */
export async function digestOf(text: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `sha256:${Array.from(hash.slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function storedThreshold(): number {
  try {
    const value = Number(localStorage.getItem(THRESHOLD_KEY) ?? '80');
    return Number.isFinite(value) ? value : 80;
  } catch {
    return 80;
  }
}
