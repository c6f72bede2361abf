// Display formatting. Credit amounts come from the reports as exact decimal strings
// ("1234.5678"); Intl.NumberFormat.format accepts such a string as an exact decimal (no binary
// floating point on the way), so what is shown is exactly what the report says.
import type { GrantSource } from './engine';

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

const creditsCompactFormat = new Intl.NumberFormat(locale, { minimumFractionDigits: 0, maximumFractionDigits: 4 });

/** "1000.0000" → "1,000", "0.5000" → "0.5" (en-US): pack sizes in a sentence. Exact, as formatCredits. */
export function formatCreditsCompact(credits: string): string {
  return creditsCompactFormat.format(credits as unknown as IntlDecimal);
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

/** "+08:00" → 480. */
export function offsetMinutes(offset: string): number {
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

/** 480 → "+08:00". */
export function offsetFromMinutes(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

export function offsetLabel(offset: string): string {
  return offset === '+00:00' ? 'UTC' : `UTC${offset}`;
}

/** The browser's own UTC offset at an instant. */
export function localOffsetAt(instant: string): string {
  return offsetFromMinutes(-new Date(instant).getTimezoneOffset());
}

const dateTimeFormat = new Intl.DateTimeFormat(locale, {
  timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
});
const dateFormat = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
const shortDateFormat = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', month: 'short', day: 'numeric' });
const monthFormat = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', month: 'short' });
const monthYearFormat = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', month: 'short', year: 'numeric' });

/** Shifts an instant so that formatting it in UTC shows the wall clock of `offset`. */
function shifted(instant: string, offset: string): Date {
  return new Date(Date.parse(instant) + offsetMinutes(offset) * 60000);
}

/** "2026-12-03T16:00:00Z" in "+08:00" → "Dec 4, 2026, 12:00 AM". */
export function formatDateTime(instant: string, offset: string): string {
  return dateTimeFormat.format(shifted(instant, offset));
}

export function formatDate(instant: string, offset: string): string {
  return dateFormat.format(shifted(instant, offset));
}

export function formatShortDate(instant: string, offset: string): string {
  return shortDateFormat.format(shifted(instant, offset));
}

/** A report date ("2026-11-30", already in the account's offset) → "Nov 30". */
export function formatDay(date: string): string {
  return shortDateFormat.format(new Date(`${date}T00:00:00Z`));
}

export function formatDayLong(date: string): string {
  return dateFormat.format(new Date(`${date}T00:00:00Z`));
}

export function formatMonth(instant: string, offset: string): string {
  return monthFormat.format(shifted(instant, offset));
}

export function formatMonthYear(instant: string, offset: string): string {
  return monthYearFormat.format(shifted(instant, offset));
}

/** The calendar date (YYYY-MM-DD) of an instant in an offset. */
export function dateInOffset(instant: string, offset: string): string {
  return shifted(instant, offset).toISOString().slice(0, 10);
}

/** Midnight of a calendar date in an offset, as a UTC instant string. */
export function midnightIn(date: string, offset: string): string {
  const ms = Date.parse(`${date}T00:00:00Z`) - offsetMinutes(offset) * 60000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
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
