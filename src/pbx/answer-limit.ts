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

/** The body of a fetch Response as text, reading no further than `limit` bytes (AnswerTooLargeError beyond). */
export async function readTextWithin(response: Response, limit: number, url: string, request: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new AnswerTooLargeError(url, request, limit);
  }
  if (!response.body) return '';
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
  return Buffer.concat(pieces).toString('utf8');
}
