// Instants as the operator writes them: ISO 8601 date and time, with optional
// fractional seconds and zone, e.g. 2026-12-06T18:29:38.468Z or
// 2026-12-06T19:29:38+01:00. Without a zone the time is local. Parsed
// strictly: Date.parse accepts "2026-02-30" and much else that is not an instant.

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The instant, or a reason why `text` is not one. Digits below the
 * millisecond are dropped (a Date holds ms): the instant is never later than written.
 */
export function parseInstant(text: string): Date | string {
  const m = ISO.exec(text.trim());
  if (m === null) return `"${text}" is not an ISO 8601 date and time (e.g. 2026-12-06T18:29:38.468Z)`;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const n = { y: Number(y), mo: Number(mo), d: Number(d), h: Number(h), mi: Number(mi), s: Number(s) };
  const days = new Date(Date.UTC(n.y, n.mo, 0)).getUTCDate();
  if (n.mo < 1 || n.mo > 12 || n.d < 1 || n.d > days || n.h > 23 || n.mi > 59 || n.s > 59) {
    return `"${text}" is not a valid date and time (month 01-12, day within the month, hour 00-23, minute and second 00-59)`;
  }
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  let offsetMin: number | undefined;
  if (zone === 'Z') offsetMin = 0;
  else if (zone !== undefined) {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const zh = Number(z[2]);
    const zm = Number(z[3] ?? '0');
    if (zh > 23 || zm > 59) return `"${text}" has an invalid zone offset ${zone}`;
    offsetMin = (z[1] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  if (offsetMin === undefined) return new Date(n.y, n.mo - 1, n.d, n.h, n.mi, n.s, ms);
  return new Date(Date.UTC(n.y, n.mo - 1, n.d, n.h, n.mi, n.s, ms) - offsetMin * 60_000);
}
