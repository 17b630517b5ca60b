// Answers from the PBX and the reporting are read up to a limit: a broken or hostile server streaming a gigabyte
// must cost the recorder a few megabytes and a red lamp, not its memory.

/** Largest SOAP answer read (a Poll of thousands of events is well below it). */
export const MAX_SOAP_ANSWER_BYTES = 8 * 1024 * 1024;
/** Largest reporting answer read: the CDRs of one conference are a few kilobytes. */
export const MAX_REPORTING_ANSWER_BYTES = 8 * 1024 * 1024;

/** A server answered more than the limit: the answer was cut off unread and refused. */
export class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
  constructor(
    readonly url: string,
    /** What was asked, e.g. `Poll` or `report.php`. */
    readonly request: string,
    readonly limit: number,
  ) {
    super(`${url}: ${request}: the answer is larger than ${limit / (1024 * 1024)} MiB and was refused`);
  }
}

/** An XML answer whose bytes are not text in the encoding it declares (or one this reader does not know). */
export class AnswerEncodingError extends Error {
  override readonly name = 'AnswerEncodingError';
  constructor(
    readonly url: string,
    readonly request: string,
    readonly reason: string,
  ) {
    super(`${url}: ${request}: ${reason}`);
  }
}

/** Encodings an XML declaration may name here, as WHATWG decoder labels (ISO-8859-1 is read as its superset windows-1252, as browsers do). */
const XML_ENCODINGS: Readonly<Record<string, string>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'us-ascii': 'utf-8',
  ascii: 'utf-8',
  'iso-8859-1': 'windows-1252',
  'iso8859-1': 'windows-1252',
  latin1: 'windows-1252',
  'windows-1252': 'windows-1252',
  'cp1252': 'windows-1252',
};

/**
 * XML bytes as text, in the encoding the XML declaration names (UTF-8 when it
 * names none): invalid bytes, a UTF-16 body or an unknown encoding are an
 * AnswerEncodingError naming it, never text with replacement characters that
 * would put a wrong name or number into a recording.
 */
export function decodeXmlBytes(bytes: Uint8Array, url: string, request: string): string {
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    throw new AnswerEncodingError(url, request, 'the answer is UTF-16 (byte order mark); expected UTF-8 or ISO-8859-1');
  }
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const declared = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  const label = declared === undefined ? 'utf-8' : XML_ENCODINGS[declared];
  if (label === undefined) throw new AnswerEncodingError(url, request, `the answer declares encoding ${JSON.stringify(declared)}, which this reader does not know (UTF-8 or ISO-8859-1 expected)`);
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    throw new AnswerEncodingError(url, request, `the answer is not valid ${declared === undefined ? 'UTF-8 (it declares no encoding)' : declared.toUpperCase()}`);
  }
}

/** The body of a fetch Response as bytes, reading no further than `limit` bytes (AnswerTooLargeError beyond). */
export async function readBytesWithin(response: Response, limit: number, url: string, request: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new AnswerTooLargeError(url, request, limit);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const pieces: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new AnswerTooLargeError(url, request, limit);
    }
    pieces.push(value);
  }
  return Buffer.concat(pieces);
}
