// What the journal keeps about one capture, read back typed: the journal stores JSON, so each step's data is
// checked as it is read (a line written by another version, or damaged, is a clear error, not a wrong cast).
import { z } from 'zod';
import type { JournalItem, JournalValue } from './journal.js';

const decisionSchema = z.object({
  action: z.enum(['file', 'delete']),
  agent: z.string().nullable(),
  agentName: z.string().optional(),
  external: z.string().nullable(),
  direction: z.enum(['i', 'o']),
  secondsToAnswer: z.number(),
  start: z.number(),
  rule: z.string(),
  executive: z.boolean().optional(),
  tan: z.string().optional(),
  reason: z.string(),
});

const workSchema = z.object({
  /** The verified working copy of the capture. */
  path: z.string().optional(),
  sha256: z.string().optional(),
  bytes: z.number().optional(),
  /** When the copy was taken (ms since epoch). */
  copiedAt: z.number().optional(),
  cdrSource: z.enum(['cdr-interface', 'reporting']).optional(),
  decision: decisionSchema.optional(),
  /** The call's records as the PBX gave them, kept with the recording. */
  cdrXml: z.array(z.string()).optional(),
  /** The converted recording in the working folder, its codec and length. */
  output: z.string().optional(),
  codec: z.string().optional(),
  durationMs: z.number().optional(),
  /** The filed recording's name. */
  recording: z.string().optional(),
  /** Thread-call recording: the call's agent and end, and whether it was marked during it or waits for a mark. */
  tcr: z
    .object({
      agent: z.string(),
      conf: z.string(),
      /** The call's end, PBX clock (Unix seconds). */
      endUtc: z.number(),
      /** When the SOAP link saw it end (ms since epoch). */
      endedAt: z.number().optional(),
      /** Unmarked, it is discarded after this (ms since epoch). */
      deadline: z.number().optional(),
      marked: z.enum(['during']).optional(),
    })
    .optional(),
});

export type CaptureWork = z.infer<typeof workSchema>;

export class WorkItemError extends Error {
  constructor(key: string, reason: string) {
    super(`journal item ${key}: ${reason}`);
    this.name = 'WorkItemError';
  }
}

/** A journal item's data as the service's steps wrote it. */
export function workOf(item: JournalItem): CaptureWork {
  const parsed = workSchema.safeParse(item.data);
  if (!parsed.success) throw new WorkItemError(item.key, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return parsed.data;
}

/** A field a step needs from an earlier one (WorkItemError naming the item and the field when it is missing). */
export function required<K extends keyof CaptureWork>(key: string, work: CaptureWork, field: K): NonNullable<CaptureWork[K]> {
  const value = work[field];
  if (value === undefined || value === null) throw new WorkItemError(key, `no ${field} recorded`);
  return value;
}

/** Plain JSON for the journal: undefined fields left out, nothing that JSON cannot hold. */
export function toJournalValue(value: unknown): JournalValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map(toJournalValue);
  if (typeof value === 'object') {
    const out: Record<string, JournalValue> = {};
    for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = toJournalValue(field);
    return out;
  }
  throw new TypeError(`not journal data: ${typeof value}`);
}
