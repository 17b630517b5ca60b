/** IPv4/IPv6 addresses between bytes and text (dotted quad; RFC 5952 compressed IPv6). */

const HEX = '0123456789abcdef';

export function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

function hexGroup(value: number): string {
  if (value < 0x10) return HEX[value]!;
  if (value < 0x100) return HEX[value >> 4]! + HEX[value & 15]!;
  if (value < 0x1000) return HEX[value >> 8]! + HEX[(value >> 4) & 15]! + HEX[value & 15]!;
  return HEX[value >> 12]! + HEX[(value >> 8) & 15]! + HEX[(value >> 4) & 15]! + HEX[value & 15]!;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (first on a tie) of two or more zero groups as "::"; IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  const groups: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 8; i++) groups[i] = (bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!;
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.map(hexGroup).join(':');
  const head = groups.slice(0, bestStart).map(hexGroup).join(':');
  const tail = groups.slice(bestStart + bestLength).map(hexGroup).join(':');
  return `${head}::${tail}`;
}

/** Parse dotted IPv4 text into 4 bytes; throws on anything else. */
export function parseIpv4(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  const out = new Uint8Array(4);
  parts.forEach((part, i) => {
    const value = Number(part);
    if (!/^\d{1,3}$/.test(part) || value > 255) throw new Error(`not an IPv4 address: ${text}`);
    out[i] = value;
  });
  return out;
}

/** Parse IPv6 text (with "::" and an optional dotted IPv4 tail) into 16 bytes; throws on anything else. */
export function parseIpv6(text: string): Uint8Array {
  const bad = (): Error => new Error(`not an IPv6 address: ${text}`);
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = parseIpv4(piece);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) throw bad();
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = toGroups(halves[0]!);
  const tail = halves.length === 2 ? toGroups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) throw bad();
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Parse either family; IPv6 when the text contains ':'. */
export function parseIpAddress(text: string): Uint8Array {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}
