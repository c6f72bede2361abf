// The browser's own time zone, described the way the core takes it for daily rows: the offset in
// force at the start of a range and every change of offset inside it (daylight saving, a change of
// law). Intl carries the browser's copy of the tz database; this file only reads it. It is
// presentation data about the zone, not a billing rule: the core cuts the days (utc_offsets in
// docs/report-format.md) and answers the rows.
import type { UtcOffsetChange } from '@easycoda/credits';

const HOUR_MS = 3_600_000;
// Probed once a day: zones change offset at most a few times a year, never twice in one day.
const PROBE_MS = 24 * HOUR_MS;
// A bound on the work of one call: about 27 years of daily probes (a range longer than that keeps
// the last offset found for the rest); the core reads at most 1024 changes.
const PROBES_MAX = 10_000;

export interface BrowserZone {
  /** The IANA name, e.g. "Europe/Berlin". */
  name: string;
  /** The offset before `from`, then each change up to `to`, in the core's `utc_offsets` form. */
  offsetsBetween(from: string | Date, to: string | Date): UtcOffsetChange[];
}

function instantMs(instant: string | Date): number {
  return instant instanceof Date ? instant.getTime() : Date.parse(instant);
}

/** The zone the browser runs in (playwright's timezoneId in the tests). */
export function browserZone(): BrowserZone {
  const name = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  const format = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
  // "GMT+01:00", "GMT-05:30", and "GMT+00:00" or "GMT" alone for UTC.
  const offsetAt = (ms: number): string => {
    const text = format.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    return text === 'GMT' ? '+00:00' : text.slice(3);
  };
  return {
    name,
    offsetsBetween(from: string | Date, to: string | Date): UtcOffsetChange[] {
      const start = instantMs(from);
      const end = Math.max(start, instantMs(to));
      const changes: UtcOffsetChange[] = [{ from: null, offset: offsetAt(start) }];
      let before = start;
      let offset = changes[0].offset;
      for (let probe = 1; probe <= PROBES_MAX && before < end; probe++) {
        const after = Math.min(before + PROBE_MS, end);
        const next = offsetAt(after);
        if (next !== offset) {
          // Bisect to the millisecond: offsetAt(lo) is the old offset, offsetAt(hi) is not.
          let lo = before;
          let hi = after;
          while (hi - lo > 1) {
            const mid = Math.floor((lo + hi) / 2);
            if (offsetAt(mid) === offset) lo = mid; else hi = mid;
          }
          changes.push({ from: new Date(hi).toISOString().replace('.000Z', 'Z'), offset: next });
          offset = next;
        }
        before = after;
      }
      return changes;
    },
  };
}
