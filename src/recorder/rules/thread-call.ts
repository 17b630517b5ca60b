/**
 * Thread-call recording (TCR) as the call records show it. An agent marks the call it is in by the phone's record
 * key, which calls the TCR object during the call: the agent's CDR carries that number as digits dialled during
 * the call. After the call, the agent calls the TCR object: a call of its own, whose CDR is the agent's leg to
 * that number. Only the agent a call is filed under can mark it (the reference: of two agents, the called one).
 */
import type { Cdr } from '../pbx/index.js';

/** A call to the TCR object in the records: who called it, and when (PBX clock, Unix seconds). */
export interface ThreadCallMark {
  readonly agent: string;
  readonly atUtc: number;
}

/** Whether `agent` marked the call during it (the TCR object's number dialled on the agent's leg). */
export function markedDuringCall(cdrs: readonly Cdr[], agent: string, tcrNumber: string): boolean {
  return cdrs.some((cdr) => cdr.e164 === agent && cdr.events.some((event) => event.msg === 'dtmf-from' && event.digits === tcrNumber));
}

/** The legs of these records that are calls to the TCR object (marks after a call), with their callers and times. */
export function marksAfterCall(cdrs: readonly Cdr[], tcrNumber: string): ThreadCallMark[] {
  const marks: ThreadCallMark[] = [];
  for (const cdr of cdrs) {
    if (cdr.e164 === '' || cdr.e164 === tcrNumber) continue;
    // The agent's own call to the object: set up from the agent's side, connected to it.
    const toTcr = cdr.events.find((event) => (event.msg === 'setup-from' || event.msg === 'alert-to' || event.msg === 'conn-to') && event.party?.e164 === tcrNumber);
    if (toTcr) marks.push({ agent: cdr.e164, atUtc: cdr.utc + toTcr.time });
  }
  return marks;
}

/** When the call ended, PBX clock (Unix seconds): its last event in any record. */
export function callEndUtc(cdrs: readonly Cdr[]): number {
  let end = 0;
  for (const cdr of cdrs) for (const event of cdr.events) end = Math.max(end, cdr.utc + event.time);
  return end;
}
