/**
 * The time zones the picker offers: the browser's IANA list with each zone's current UTC offset,
 * so "Berlin" and "+01:00" both find Europe/Berlin. Offsets are worked out once per page load
 * (about 420 zones, a few milliseconds) and are today's: a zone in summer time shows its summer offset.
 */

export interface TimeZoneChoice {
  /** The IANA name as the runtime spells it: what is sent, and what the server stores. */
  zone: string;
  /** The name shown and searched: today's IANA name, underscores as spaces ("Asia/Kolkata"). */
  label: string;
  /** "UTC+01:00", "UTC−03:30" or "UTC". */
  offset: string;
  /** Minutes east of UTC, for sorting and search. */
  minutes: number;
}

function offsetMinutes(zone: string, at: Date): number | null {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value;
    if (part === undefined) return null;
    const match = /^GMT(?:([+-−])(\d{1,2})(?::(\d{2}))?)?$/.exec(part);
    if (!match) return null;
    if (match[1] === undefined) return 0;
    const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
    return match[1] === '+' ? minutes : -minutes;
  } catch {
    return null;
  }
}

export function formatOffset(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const sign = minutes > 0 ? '+' : '−';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function supportedZones(): string[] {
  try {
    return (Intl as unknown as { supportedValuesOf(kind: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

/**
 * Zones that IANA renamed but runtimes still spell the old way (Chromium and Node list, and the
 * server stores, Asia/Calcutta rather than Asia/Kolkata): shown and found by today's name, sent
 * as the runtime spells it, so the stored value matches the choice.
 */
const RENAMED: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata',
  'Europe/Kiev': 'Europe/Kyiv',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'America/Godthab': 'America/Nuuk',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Pacific/Truk': 'Pacific/Chuuk',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Enderbury': 'Pacific/Kanton',
};

const labelOf = (zone: string): string => (RENAMED[zone] ?? zone).replace(/_/g, ' ');

let cached: TimeZoneChoice[] | null = null;

/** Every zone the browser knows, UTC first, then by name; `extra` (a stored alias the list lacks) is kept too. */
export function timeZoneChoices(extra: string[] = [], at: Date = new Date()): TimeZoneChoice[] {
  if (cached === null) {
    const zones = supportedZones().filter((zone) => zone !== 'UTC');
    cached = ['UTC', ...zones]
      .flatMap((zone) => {
        const minutes = offsetMinutes(zone, at);
        return minutes === null ? [] : [{ zone, label: labelOf(zone), offset: formatOffset(minutes), minutes }];
      })
      .sort((a, b) => (a.zone === 'UTC' ? -1 : b.zone === 'UTC' ? 1 : a.label.localeCompare(b.label)));
  }
  const missing = extra.filter((zone) => zone !== '' && !cached!.some((c) => c.zone === zone));
  const added = missing.map((zone) => {
    const minutes = offsetMinutes(zone, at);
    return { zone, label: labelOf(zone), offset: minutes === null ? '' : formatOffset(minutes), minutes: minutes ?? 0 };
  });
  return [...added, ...cached];
}

/**
 * The choices matching what was typed: every word must appear in the zone's name (spaces and
 * underscores alike, any case) or its offset ("+1", "+01:00", "utc-3").
 */
export function searchTimeZones(choices: TimeZoneChoice[], query: string): TimeZoneChoice[] {
  const words = query.toLowerCase().replace(/_/g, ' ').replace(/−/g, '-').split(/\s+/).filter(Boolean);
  if (words.length === 0) return choices;
  return choices.filter((choice) => {
    const offset = choice.offset.toLowerCase().replace(/−/g, '-');
    const shortOffset = offset.replace(/([+-])0(\d)/, '$1$2').replace(/:00$/, '');
    const haystack = `${choice.label.toLowerCase()} ${choice.zone.toLowerCase().replace(/_/g, ' ')} ${offset} ${shortOffset}`;
    return words.every((word) => haystack.includes(word));
  });
}
