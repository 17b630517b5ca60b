// Wall-clock time in a configured zone: recording names, month folders and the player's day filter all speak
// the store's zone ('local', 'utc' or an IANA name), whatever zone the process runs in.

/** 'local' (the process's zone), 'utc', or an IANA zone name such as 'Europe/Berlin'. */
export type TimeZoneSetting = string;

/** Wall-clock fields in some zone (month 1…12). */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** A zone setting that names no zone. */
export class TimeZoneError extends Error {
  readonly code = 'bad-timezone';
  constructor(message: string) {
    super(message);
    this.name = 'TimeZoneError';
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Validate a zone setting; returns it normalised ('local', 'utc' or the IANA name). */
export function checkTimeZone(zone: TimeZoneSetting): string {
  const lower = zone.toLowerCase();
  if (lower === 'local' || lower === 'utc') return lower;
  try {
    zoneFormatter(zone);
  } catch {
    throw new TimeZoneError(`unknown time zone ${JSON.stringify(zone)}: expected 'local', 'utc' or an IANA zone name such as 'Europe/Berlin'`);
  }
  return zone;
}

function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

function zoneFields(instant: Date, zone: string): LocalDateTime & { second: number } {
  const parts: Record<string, number> = {};
  for (const part of zoneFormatter(zone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/** Wall-clock fields of an instant in a zone. */
/** Whether wall-clock fields name a real minute: a month 1…12, a day the month has, 00:00…23:59. */
export function isRealLocalDateTime(local: LocalDateTime): boolean {
  const { year, month, day, hour, minute } = local;
  if (![year, month, day, hour, minute].every(Number.isInteger) || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function localDateTime(instant: Date, zone: TimeZoneSetting = 'local'): LocalDateTime {
  if (Number.isNaN(instant.getTime())) throw new RangeError('invalid date');
  const z = checkTimeZone(zone);
  if (z === 'local') return { year: instant.getFullYear(), month: instant.getMonth() + 1, day: instant.getDate(), hour: instant.getHours(), minute: instant.getMinutes() };
  if (z === 'utc') return { year: instant.getUTCFullYear(), month: instant.getUTCMonth() + 1, day: instant.getUTCDate(), hour: instant.getUTCHours(), minute: instant.getUTCMinutes() };
  const { year, month, day, hour, minute } = zoneFields(instant, z);
  return { year, month, day, hour, minute };
}

/** The instant a wall-clock time in a zone stands for (in a DST gap or overlap: one of the candidates, consistently). */
export function instantOf(local: LocalDateTime, zone: TimeZoneSetting = 'local'): Date {
  const z = checkTimeZone(zone);
  if (z === 'local') return new Date(local.year, local.month - 1, local.day, local.hour, local.minute);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  if (z === 'utc') return new Date(asUtc);
  // The zone's offset at a guess, then at the corrected guess (one more step settles DST changes).
  const offsetAt = (t: number): number => {
    const f = zoneFields(new Date(t), z);
    return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(t / 1000) * 1000;
  };
  let t = asUtc - offsetAt(asUtc);
  t = asUtc - offsetAt(t);
  return new Date(t);
}
