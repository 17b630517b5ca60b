// A recording whose files no longer verify is not evidence of the call it claims to be: it is not served. The
// verdict is kept per recording with the size and time of its files and checked again whenever they change.
import { stat } from 'node:fs/promises';
import type { IndexedRecording, IntegrityState, Recordings, StoredRecording } from '../recordings/index.js';
import type { Account } from './accounts.js';
import { may } from './access.js';
import type { AuditLog } from './audit.js';
import { HttpError } from './errors.js';

/** Verdicts remembered (oldest forgotten first): a verification costs one read of the audio. */
const MAX_VERIFIED_CACHE = 10_000;

export type AudioUse = 'play' | 'export' | 'waveform';

/** A file's size and modification time ('-' when there is none): what changes when the file is replaced. */
export async function fileStamp(path: string | undefined): Promise<string> {
  // An object in the bucket changes only with its name (a TAN change): its address is its stamp.
  if (path?.startsWith('s3://')) return path;
  return path ? stat(path).then((info) => `${info.size}:${info.mtimeMs}`, () => '-') : '-';
}

export class IntegrityGuard {
  readonly #verified = new Map<string, { stamp: string; integrity: IntegrityState }>();

  constructor(
    private readonly recordings: Recordings,
    private readonly audit: AuditLog,
  ) {}

  /** The recording's integrity as its files are now (verified again when audio or sidecar changed). */
  async current(stored: StoredRecording): Promise<IntegrityState> {
    const stamp = (await Promise.all([stored.audioPath, stored.xmlPath].map(fileStamp))).join('|');
    const cached = this.#verified.get(stored.name);
    if (cached?.stamp === stamp) return cached.integrity;
    const integrity = await this.recordings.verify(stored);
    if (this.#verified.size >= MAX_VERIFIED_CACHE) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(stored.name, { stamp, integrity });
    return integrity;
  }

  /**
   * The files of a recording that may be served for `use`; 409 for a tampered one. An account with the
   * `investigate` permission may still ask for it (`investigate`); that, and every refusal, is audited.
   */
  async servable(account: Account, row: IndexedRecording, use: AudioUse, ask: { readonly investigate: boolean; readonly head: boolean }): Promise<StoredRecording> {
    const stored = await this.recordings.files(row.name);
    const integrity = await this.current(stored);
    // A verdict that newly says (or no longer says) tampered is kept and announced; the others are cached here only.
    if (integrity !== row.integrity && (integrity === 'tampered' || row.integrity === 'tampered')) await this.recordings.setIntegrity(row.name, integrity);
    if (integrity !== 'tampered') return stored;
    const investigator = may(account, 'investigate');
    if (investigator && ask.investigate) {
      if (!ask.head) this.audit.write(account.name, 'investigate', { recording: row.name, use, integrity });
      return stored;
    }
    this.audit.write(account.name, 'refused-tampered', { recording: row.name, use });
    throw new HttpError(409, `${row.name} failed verification (tampered): not served${investigator ? '; add investigate=1 to inspect it anyway (logged)' : ''}`);
  }
}
