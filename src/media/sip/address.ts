// One spelling per IP address, so SDP text and capture addresses meet in one table key.
import { formatIpv6, parseIpv6 } from '../pcap/index.js';

const cache = new Map<string, string>();
const CACHE_LIMIT = 4096;

/**
 * IPv4 as written; IPv6 in RFC 5952 form (lower case, zeros compressed), the
 * form the capture reader prints, so "2001:DB8:0:0::10" in SDP matches
 * 2001:db8::10 on the wire. Text that is not an address comes back lower-cased.
 */
export function canonicalAddress(text: string): string {
  if (!text.includes(':')) return text;
  const known = cache.get(text);
  if (known !== undefined) return known;
  let canonical: string;
  try {
    canonical = formatIpv6(parseIpv6(text.replace(/^\[|\]$/g, '').split('%')[0]!), 0);
  } catch {
    canonical = text.toLowerCase();
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, canonical);
  return canonical;
}

/** 0.0.0.0 or :: — the RFC 2543 way to put a call on hold, not a place media comes from. */
export function isUnspecifiedAddress(address: string): boolean {
  return address === '0.0.0.0' || canonicalAddress(address) === '::';
}
