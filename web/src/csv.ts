// CSV export, built from the very report objects the page shows. Amounts are written exactly
// as the report has them (integer tokens and the exact credit strings), not locale-formatted.
import type { AccountReport, DailyRow, Figures, LedgerEntry } from './credits';

type Cell = string | number | boolean | null;

/** Quotes a cell; text that a spreadsheet would run as a formula is prefixed with a quote. */
export function csvCell(value: Cell, isText = false): string {
  if (value === null) return '';
  let text = String(value);
  if (isText && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

function rows(header: string[], body: Cell[][], textColumns: Set<number>): string {
  const lines = [header.map((h) => csvCell(h)).join(',')];
  for (const row of body) lines.push(row.map((c, i) => csvCell(c, textColumns.has(i))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

const FIGURE_HEADER = [
  'charged_tokens', 'charged_credits',
  'cache_hit_tokens', 'cache_hit_credits', 'summarization_tokens', 'summarization_credits',
  'other_service_tokens', 'other_service_credits', 'cancelled_tokens', 'cancelled_credits',
  'pending_tokens', 'pending_credits', 'free_tokens', 'free_credits', 'total_tokens', 'total_credits',
];

function figureCells(f: Figures): Cell[] {
  return [
    f.charged_tokens, f.charged_credits,
    f.free.cache_hit_tokens, f.free.cache_hit_credits, f.free.summarization_tokens, f.free.summarization_credits,
    f.free.other_service_tokens, f.free.other_service_credits, f.free.cancelled_tokens, f.free.cancelled_credits,
    f.free.pending_tokens, f.free.pending_credits, f.free_tokens, f.free_credits, f.total_tokens, f.total_credits,
  ];
}

/** `zone` names the zone the core cut the days in: "UTC+08:00", "UTC", "Europe/Berlin". */
export function dailyCsv(daily: DailyRow[], zone: string): string {
  return rows([`date (${zone})`, ...FIGURE_HEADER], daily.map((d) => [d.date, ...figureCells(d)]), new Set());
}

export function projectsCsv(report: AccountReport): string {
  return rows(['project_id', 'project_name', ...FIGURE_HEADER],
    report.projects.map((p) => [p.id, p.name, ...figureCells(p)]), new Set([0, 1]));
}

export function ledgerCsv(entries: readonly LedgerEntry[]): string {
  const header = ['at', 'kind', 'event_or_grant_id', 'source', 'project_id', 'task_id', 'session_id',
    'output_tokens', 'input_cache_miss_tokens', 'tokens', 'credits', 'paid_from', 'overdraft_tokens',
    'balance_tokens', 'balance_credits'];
  const body: Cell[][] = entries.map((e) => {
    switch (e.kind) {
      case 'charge':
        return [e.at, e.kind, e.event_id, null, e.project_id, e.task_id, e.session_id, e.output_tokens,
          e.input_cache_miss_tokens, e.charged_tokens, e.charged_credits,
          e.allocations.map((a) => `${a.grant_id}:${a.tokens}`).join(' '), e.overdraft_tokens,
          e.balance_tokens, e.balance_credits];
      case 'grant':
        return [e.at, e.kind, e.grant_id, e.source, null, null, null, null, null, e.tokens, e.credits, null, null,
          e.balance_tokens, e.balance_credits];
      case 'repayment':
      case 'expiry':
        return [e.at, e.kind, e.grant_id, null, null, null, null, null, null, e.tokens, e.credits, null, null,
          e.balance_tokens, e.balance_credits];
      case 'billing_failed':
        return [e.at, e.kind, e.event_id, e.plan, null, null, null, null, null, null, null, null, null,
          e.balance_tokens, e.balance_credits];
      case 'opening':
        return [e.at, e.kind, e.grant_id, e.source, null, null, null, null, null, e.tokens, e.credits, null,
          e.overdraft_tokens, e.balance_tokens, e.balance_credits];
    }
  });
  return rows(header, body, new Set([2, 3, 4, 5, 6, 11]));
}

/** Offers a text as a file download (a same-origin blob: URL, no request leaves the page). */
export function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
