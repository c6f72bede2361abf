// Display formatting. Credit amounts come from the reports as exact decimal strings
// ("1234.5678"); Intl.NumberFormat.format accepts such a string as an exact decimal (no binary
// floating point on the way), so what is shown is exactly what the report says.
import type { Figures, GrantSource } from './credits';

export const locale: string = (typeof navigator !== 'undefined' && navigator.language) || 'en-US';

const creditsFormat = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const tokensFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const percentFormat = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
const percent2Format = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 });

type IntlDecimal = Parameters<Intl.NumberFormat['format']>[0];

/** "1234.5000" → "1,234.50" (en-US); never rounds: at most four decimals exist. */
export function formatCredits(credits: string): string {
  return creditsFormat.format(credits as unknown as IntlDecimal);
}

const creditsFixedFormats = new Map<number, Intl.NumberFormat>();

/**
 * The number of decimals that shows every amount of a group exactly: the most any of them needs
 * once trailing zeros are trimmed, and at least two. Amounts shown side by side (the tiles of a
 * card) then read evenly without rounding any of them: the report's strings have at most four.
 */
export function groupDecimals(credits: readonly string[]): number {
  let decimals = 2;
  for (const c of credits) decimals = Math.max(decimals, (c.split('.')[1] ?? '').replace(/0+$/, '').length);
  return decimals;
}

/** "75.71" at 4 decimals → "75.7100": padded with zeros only, never rounded (at most four exist). */
export function formatCreditsFixed(credits: string, decimals: number): string {
  let format = creditsFixedFormats.get(decimals);
  if (!format) {
    format = new Intl.NumberFormat(locale, { minimumFractionDigits: decimals, maximumFractionDigits: Math.max(decimals, 4) });
    creditsFixedFormats.set(decimals, format);
  }
  return format.format(credits as unknown as IntlDecimal);
}

const creditsCompactFormat = new Intl.NumberFormat(locale, { minimumFractionDigits: 0, maximumFractionDigits: 4 });

/** "1000.0000" → "1,000", "0.5000" → "0.5" (en-US): pack sizes in a sentence. Exact, as formatCredits. */
export function formatCreditsCompact(credits: string): string {
  return creditsCompactFormat.format(credits as unknown as IntlDecimal);
}

const megabytesFormat = new Intl.NumberFormat(locale, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 });

/** A file's size for a progress line: 25165824 → "24 MB" (MiB, as file managers count). */
export function formatMegabytes(bytes: number): string {
  return megabytesFormat.format(bytes / (1024 * 1024));
}

export function formatTokens(tokens: number): string {
  return tokensFormat.format(tokens);
}

export function formatPercent(ratio: number, precise = false): string {
  return (precise ? percent2Format : percentFormat).format(ratio);
}

/** A price in minor units ("1200", USD) → "$12.00", via the currency's own fraction digits. */
export function formatMoney(minor: number, currency: string): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = minor < 0;
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? text : `${text.slice(0, text.length - digits)}.${text.slice(text.length - digits)}`;
  return format.format(`${negative ? '-' : ''}${decimal}` as unknown as IntlDecimal);
}

// ---------- instants and offsets ----------
// Offsets and days are the core's: a report says which offset (or zone) its dates are in, and an
// instant is shown in an offset by Intl itself (an offset such as "+08:00" is an Intl time zone),
// so nothing here adds minutes to instants or counts days.

export function offsetLabel(offset: string): string {
  return offset === '+00:00' ? 'UTC' : `UTC${offset}`;
}

type DateFields = Pick<Intl.DateTimeFormatOptions, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'>;
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * One formatter per shape and zone ("+08:00" or "UTC"), made once: in the reader's locale, or
 * (`fixed`) in en-US digits with a 24-hour clock, for values a form field reads back.
 */
function formatIn(fields: DateFields, timeZone: string, fixed = false): Intl.DateTimeFormat {
  const key = `${fixed} ${timeZone} ${JSON.stringify(fields)}`;
  let format = formats.get(key);
  if (!format) {
    format = fixed
      ? new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', numberingSystem: 'latn', ...fields })
      : new Intl.DateTimeFormat(locale, { timeZone, ...fields });
    formats.set(key, format);
  }
  return format;
}

const DATE_TIME: DateFields = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
const DATE: DateFields = { year: 'numeric', month: 'short', day: 'numeric' };
const SHORT_DATE: DateFields = { month: 'short', day: 'numeric' };

/** "2026-12-03T16:00:00Z" in "+08:00" → "Dec 4, 2026, 12:00 AM". */
export function formatDateTime(instant: string, offset: string): string {
  return formatIn(DATE_TIME, offset).format(Date.parse(instant));
}

export function formatDate(instant: string, offset: string): string {
  return formatIn(DATE, offset).format(Date.parse(instant));
}

export function formatShortDate(instant: string, offset: string): string {
  return formatIn(SHORT_DATE, offset).format(Date.parse(instant));
}

/** A report date ("2026-11-30", already in the report's offset or zone) → "Nov 30". */
export function formatDay(date: string): string {
  return formatIn(SHORT_DATE, 'UTC').format(Date.parse(`${date}T00:00:00Z`));
}

export function formatDayLong(date: string): string {
  return formatIn(DATE, 'UTC').format(Date.parse(`${date}T00:00:00Z`));
}

export function formatMonth(instant: string, offset: string): string {
  return formatIn({ month: 'short' }, offset).format(Date.parse(instant));
}

export function formatMonthYear(instant: string, offset: string): string {
  return formatIn({ month: 'short', year: 'numeric' }, offset).format(Date.parse(instant));
}

/** The wall clock of an instant in an offset, "YYYY-MM-DDTHH:MM:SS" (a datetime-local value). */
export function wallClock(instant: string, offset: string): string {
  const parts = formatIn({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' },
    offset, true).formatToParts(Date.parse(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
}

// ---------- words ----------

export const SOURCE_LABELS: Record<GrantSource, string> = {
  signup: 'Free signup',
  promotion: 'Promotion',
  plan: 'Plan',
  purchase: 'Purchased',
};

export const FREE_LABELS = {
  cache_hit: 'Cache hits',
  summarization: 'Summarization',
  other_service: 'Other services',
  cancelled: 'Cancelled tasks',
  pending: 'In progress',
} as const;

export type FreeCategory = keyof typeof FREE_LABELS;
export const FREE_CATEGORIES = Object.keys(FREE_LABELS) as FreeCategory[];

export function plural(count: number, one: string, many: string): string {
  return `${formatTokens(count)} ${count === 1 ? one : many}`;
}

/** The decimals of a Figures card (charged, each free category, total, free): one group. */
export function figuresDecimals(f: Figures): number {
  return groupDecimals([f.charged_credits, ...FREE_CATEGORIES.map((c) => f.free[`${c}_credits`]), f.total_credits, f.free_credits]);
}
