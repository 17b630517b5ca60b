// HTTP Range (RFC 9110 §14): one byte range is served as 206; a malformed or multi-range header is ignored (the
// whole body, 200) — allowed by the RFC, and it keeps many-part requests from multiplying the work; a range that
// starts at or past the end is 416.
export type RangeDecision = { readonly kind: 'full' } | { readonly kind: 'partial'; readonly start: number; readonly end: number } | { readonly kind: 'unsatisfiable' };

const MAX_DIGITS = 15; // beyond Number.MAX_SAFE_INTEGER's reach; such positions are past any file here

/** Decide what to send for a Range header over a body of `size` bytes; `end` is exclusive. */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix: the last N bytes.
    if (last.length > MAX_DIGITS) return size > 0 ? { kind: 'partial', start: 0, end: size } : { kind: 'unsatisfiable' };
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size };
  }
  if (first.length > MAX_DIGITS) return { kind: 'unsatisfiable' };
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  if (last === '') return { kind: 'partial', start, end: size };
  const end = last.length > MAX_DIGITS ? size : Math.min(size, Number(last) + 1);
  if (end <= start) return { kind: 'full' }; // last < first: syntactically invalid, ignored
  return { kind: 'partial', start, end };
}
