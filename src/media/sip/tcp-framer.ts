// SIP over TCP (RFC 3261 §18.3): a byte stream per connection, messages framed by their Content-Length.
// Segments are taken in sequence order as a capture shows them: retransmitted bytes are dropped, a gap
// (a segment the capture missed) starts the connection's stream afresh at the next message.
import type { TcpSegment } from '../pcap/index.js';

/** What the framer needs of a TCP segment as the capture reader hands it over. */
export type SipTcpSegment = Pick<TcpSegment, 'src' | 'srcPort' | 'dst' | 'dstPort' | 'sequence' | 'payload'>;

interface Connection {
  next: number;
  buffer: Uint8Array;
}

/** A message (headers and body) is never larger than this here; a stream that claims more is dropped. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** Connections followed at once: a capture full of TCP cannot grow the table without bound. */
const MAX_CONNECTIONS = 10_000;

const SIP_START = /^(?:[A-Z]+ \S+ SIP\/2\.0|SIP\/2\.0 \d{3})/;
const decoder = new TextDecoder('latin1');

function startsLikeSip(bytes: Uint8Array): boolean {
  return SIP_START.test(decoder.decode(bytes.subarray(0, 64)));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Index of CRLFCRLF in `bytes`, or -1. */
function headerEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

/** Splits the SIP byte streams of TCP connections into whole messages. */
export class SipTcpFramer {
  private readonly connections = new Map<string, Connection>();

  /** Take one segment; returns the whole messages it completes (each a separate byte array). */
  push(segment: SipTcpSegment): Uint8Array[] {
    const key = `${segment.src}|${segment.srcPort}|${segment.dst}|${segment.dstPort}`;
    let connection = this.connections.get(key);
    let payload = segment.payload;
    if (connection) {
      const offset = (segment.sequence - connection.next) | 0;
      if (offset < 0) {
        // Bytes already taken (a retransmission): keep only what is new.
        if (-offset >= payload.length) return [];
        payload = payload.subarray(-offset);
      } else if (offset > 0) {
        // The capture missed bytes: start again at a message boundary.
        connection = undefined;
        this.connections.delete(key);
      }
    }
    if (!connection) {
      if (!startsLikeSip(payload)) return [];
      if (this.connections.size >= MAX_CONNECTIONS) this.connections.clear();
      connection = { next: segment.sequence, buffer: new Uint8Array(0) };
      this.connections.set(key, connection);
    }
    connection.next = (segment.sequence + segment.payload.length) >>> 0;
    connection.buffer = concat(connection.buffer, payload);
    const messages: Uint8Array[] = [];
    for (;;) {
      let buffer = connection.buffer;
      // Keep-alives (CRLF) between messages.
      let skip = 0;
      while (skip < buffer.length && (buffer[skip] === 13 || buffer[skip] === 10)) skip++;
      if (skip > 0) buffer = connection.buffer = buffer.subarray(skip);
      const end = headerEnd(buffer);
      if (end < 0) break;
      const headers = decoder.decode(buffer.subarray(0, end));
      const length = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)/im.exec(headers);
      const total = end + 4 + (length ? Number(length[1]) : 0);
      if (total > MAX_MESSAGE_BYTES) {
        this.connections.delete(key);
        break;
      }
      if (buffer.length < total) break;
      messages.push(buffer.slice(0, total));
      connection.buffer = buffer.subarray(total);
    }
    if (connection.buffer.length > MAX_MESSAGE_BYTES) this.connections.delete(key);
    return messages;
  }
}
