// Recordings: the one owner of stored recordings. The files (month folders, sidecars, notes, backup tree,
// signatures), the search index and the change feed are kept in step here; `run`, `serve`, `reindex` and the
// demo open it once from the configuration and never touch the index or the folders themselves.
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ChangeFeed } from './change-feed.js';
import type { RecordingChange, RecordingChangeInput } from './change-feed.js';
import { StoreError } from './errors.js';
import { RecordingIndex } from './index-db.js';
import type { IndexedRecording, RecordingFilter, ReindexResult, SearchResult } from './index-db.js';
import { parseRecordingName } from './naming.js';
import type { RecordingFormat } from '../domain/index.js';
import type { RecordingSidecar } from './sidecar.js';
import { Quarantine } from './quarantine.js';
import { LegalHolds } from './holds.js';
import { RetentionCutoffs, compareLocal } from './retention.js';
import type { RetentionPlan, RetentionPolicy } from './retention.js';
import type { QuarantineEntry } from './quarantine.js';
import { RecordingStore } from './store.js';
import type { BackupOutcome, FileInput, FiledRecording, IntegrityState, RecordingStoreOptions, StoredRecording } from './store.js';

export interface RecordingsOptions extends RecordingStoreOptions {
  /** The SQLite search index (its folder is made when missing). */
  readonly indexPath: string;
  /** The change feed file (default: recordings.changes beside the index). */
  readonly feedPath?: string;
  /** Deliver other processes' changes (default true; one-shot commands say false). */
  readonly follow?: boolean;
  /** Fallback look at the feed where the file system sends no change notices (ms, default 100). */
  readonly feedPollMs?: number;
  /** The legal holds file (default: legal-holds.json beside the index). */
  readonly holdsPath?: string;
  /** Four-eyes: a hold is released only by someone other than who placed it. */
  readonly fourEyes?: boolean;
  /** The retention policies (a mandatory one refuses erasure within its period). */
  readonly retentionPolicies?: readonly RetentionPolicy[];
}

/** What an erasure did. */
export interface ErasureResult {
  readonly name: string;
  /** Data keys destroyed: every copy of the recording's sealed files is unreadable now. */
  readonly shreddedKeys: readonly string[];
  /** Copies removed from the backup tree. */
  readonly backupFiles: readonly string[];
}

export interface SweepOptions {
  /** Delete recordings older than this many calendar months (those no policy matches). */
  readonly retentionMonths?: number;
  /** Retention by agent, direction and TAN; the first that matches a recording applies. */
  readonly policies?: readonly RetentionPolicy[];
  /** Delete quarantined files older than this many days. */
  readonly quarantineDays?: number;
  readonly now?: Date;
}

export interface SweepResult {
  readonly removed: readonly string[];
  readonly removedFolders: readonly string[];
  /** Recordings in the bucket it refused to delete (object lock), with the reason. */
  readonly failed: readonly string[];
  readonly expiredQuarantine: readonly string[];
  /** The policy each removed recording expired under (a left-over row: the policy its name falls under). */
  readonly policyOf: Readonly<Record<string, string>>;
  /** Recordings whose time was over but a legal hold kept. */
  readonly held: ReadonlyArray<{ readonly name: string; readonly policy: string; readonly hold: string }>;
}

/** Legal holds beside the index (not in it: the index is rebuilt from the files; holds cannot be). */
export const LEGAL_HOLDS_FILE = 'legal-holds.json';

export class Recordings extends EventEmitter<{ change: [RecordingChange] }> {
  readonly #store: RecordingStore;
  readonly #index: RecordingIndex;
  readonly #feed: ChangeFeed;
  readonly #quarantine: Quarantine;
  /** Legal holds: what retention and users may not delete. */
  readonly holds: LegalHolds;

  readonly #policies: readonly RetentionPolicy[];

  private constructor(store: RecordingStore, index: RecordingIndex, feed: ChangeFeed, holds: LegalHolds, policies: readonly RetentionPolicy[]) {
    super();
    this.holds = holds;
    this.#policies = policies;
    this.#store = store;
    this.#index = index;
    this.#feed = feed;
    this.#quarantine = new Quarantine(store.root, store.keyring);
    // Listeners hear every change once, this process's and the others' alike.
    feed.on('change', (change) => this.emit('change', change));
  }

  /**
   * Open the store (its folders made, a crash's leftovers cleaned — never another live process's temporary
   * files), the index (rebuilt from the files when its schema changed) and the change feed.
   */
  static async open(options: RecordingsOptions): Promise<Recordings> {
    const store = await RecordingStore.open(options);
    await mkdir(dirname(options.indexPath), { recursive: true });
    const index = new RecordingIndex(options.indexPath);
    let feed: ChangeFeed;
    try {
      if (index.needsReindex) await index.reindex(store);
      feed = await ChangeFeed.open({
        path: options.feedPath ?? join(dirname(options.indexPath), 'recordings.changes'),
        ...(options.follow !== undefined ? { follow: options.follow } : {}),
        ...(options.feedPollMs !== undefined ? { pollMs: options.feedPollMs } : {}),
      });
    } catch (error) {
      index.close();
      throw error;
    }
    return new Recordings(store, index, feed, new LegalHolds(options.holdsPath ?? join(dirname(options.indexPath), LEGAL_HOLDS_FILE), { fourEyes: options.fourEyes === true }), options.retentionPolicies ?? []);
  }

  get root(): string {
    return this.#store.root;
  }

  get timeZone(): string {
    return this.#store.timeZone;
  }

  /** The keys recordings are sealed and signed with (undefined: plain, unsigned). */
  get keyring(): RecordingStoreOptions['keyring'] {
    return this.#store.keyring;
  }

  get indexPath(): string {
    return this.#index.path;
  }

  async close(): Promise<void> {
    await this.#feed.close();
    this.#index.close();
    this.#store.bucket?.close();
  }

  #publish(change: RecordingChangeInput): Promise<RecordingChange> {
    // The feed is a notice: a change is made and indexed before it is told, and a failed notice undoes nothing.
    return this.#feed.publish(change).catch((error: unknown) => {
      const what = change.kind === 'started' ? `the start of call ${change.callId}` : `the change of ${change.name}`;
      throw new StoreError('feed', `${this.#feed.path}: ${what} could not be announced: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** A call being recorded has started: told on the change feed (the player link's FRST), nothing stored. */
  announceCallStart(call: { readonly callId: string; readonly extension: string; readonly agent: string }): Promise<RecordingChange> {
    return this.#publish({ kind: 'started', callId: call.callId, extension: call.extension, agent: call.agent });
  }

  // ----------------------------------------------------------------------------------------------- reading

  search(filter: RecordingFilter = {}): SearchResult {
    return this.#index.search(filter);
  }

  /** The indexed recording with this base name (favourites as `owner` sees them), or undefined. */
  row(name: string, owner = ''): IndexedRecording | undefined {
    return this.#index.get(name, owner);
  }

  rowsOfCall(callId: string, owner = ''): IndexedRecording[] {
    return this.#index.getByCallId(callId, owner);
  }

  months(): Array<{ month: string; count: number }> {
    return this.#index.months();
  }

  formats(month: string): RecordingFormat[] {
    return this.#index.formats(month);
  }

  /** A recording's files (StoreError 'not-found' when gone). */
  /** Every recording on disk, month by month (the files, not the index). */
  scan(): AsyncGenerator<StoredRecording> {
    return this.#store.scan();
  }

  files(name: string): Promise<StoredRecording> {
    return this.#store.get(name);
  }

  readSidecar(recording: string | StoredRecording): Promise<{ sidecar: RecordingSidecar; encrypted: boolean } | undefined> {
    return this.#store.readSidecar(recording);
  }

  /** A recording's audio for reads at any position (here, or ranged reads of its object in the bucket). */
  openAudio(entry: StoredRecording): ReturnType<RecordingStore['openAudio']> {
    return this.#store.openAudio(entry);
  }

  /** The audio as a local file (downloaded from the bucket when it is there); `release` when done. */
  localCopy(entry: StoredRecording): ReturnType<RecordingStore['localCopy']> {
    return this.#store.localCopy(entry);
  }

  /** The bucket recordings move to once filed, if one is configured. */
  get bucket(): RecordingStore['bucket'] {
    return this.#store.bucket;
  }

  /** Move a filed recording to the bucket (see RecordingStore.moveToBucket); the index row stays as it is. */
  moveToBucket(name: string): Promise<StoredRecording> {
    return this.#store.moveToBucket(name);
  }

  readNotes(name: string): Promise<string> {
    return this.#store.readNotes(name);
  }

  /** Check a recording's audio against its encryption and signature (the index is not changed). */
  verify(recording: string | StoredRecording): Promise<IntegrityState> {
    return this.#store.verify(recording);
  }

  /** Copy a recording to the backup tree (again): after a failed copy, or to repair what `backupState` found. */
  backupRecording(name: string): Promise<BackupOutcome> {
    return this.#store.backupRecording(name);
  }

  /** How a recording's backup copy stands (undefined without a backup tree). */
  backupState(entry: StoredRecording): ReturnType<RecordingStore['backupState']> {
    return this.#store.backupState(entry);
  }

  /** Files in the backup tree without a recording here. */
  backupOnly(): Promise<string[]> {
    return this.#store.backupOnly();
  }

  listQuarantine(): Promise<QuarantineEntry[]> {
    return this.#quarantine.list();
  }

  /** The sidecar when it can be read; otherwise the index takes the recording from its name. */
  async #readableSidecar(stored: StoredRecording): Promise<RecordingSidecar | undefined> {
    try {
      return (await this.#store.readSidecar(stored))?.sidecar;
    } catch {
      return undefined;
    }
  }

  // ----------------------------------------------------------------------------------------------- writing

  /**
   * File a recording: files written and committed, indexed (intact when signed), copied to the backup tree,
   * then announced as 'filed'. Filing a call already filed changes no file.
   */
  async file(input: FileInput): Promise<FiledRecording> {
    const filed = await this.#store.file(input);
    this.#index.upsertRecording(filed, filed.sidecar, this.#store.keyring ? 'intact' : 'unchecked');
    // Announced again when it was already filed: a crash between filing and announcing must not leave it untold.
    await this.#publish({ kind: 'filed', name: filed.name, callId: filed.parsed.callId });
    return filed;
  }

  /** Index a recording the index does not know yet (filed by an older build, copied in by hand); false when it does not exist. */
  async ensureIndexed(name: string): Promise<boolean> {
    const base = parseRecordingName(name).baseName;
    if (this.#index.get(base)) return true;
    let stored: StoredRecording;
    try {
      stored = await this.#store.get(base);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'not-found') return false;
      throw error;
    }
    this.#index.upsertRecording(stored, await this.#readableSidecar(stored));
    return true;
  }

  /** Replace the notes (empty text removes them); the backup copy follows. */
  async writeNotes(name: string, text: string): Promise<StoredRecording> {
    const stored = await this.#store.writeNotes(name, text);
    this.#index.setHasNotes(stored.name, stored.notesPath !== undefined);
    await this.#publish({ kind: 'edited', name: stored.name, what: 'notes' });
    return stored;
  }

  /** Set or change the TAN: every file renamed (and the backup copy), the index row follows the new name. */
  async updateTan(name: string, tan: string): Promise<StoredRecording> {
    const before = this.#index.get(name);
    const renamed = await this.#store.updateTan(name, tan);
    if (renamed.name === name) return renamed;
    this.#index.upsertRecording(renamed, await this.#readableSidecar(renamed), before?.integrity ?? 'unchecked');
    this.#index.remove(name);
    await this.#publish({ kind: 'edited', name: renamed.name, previousName: name, what: 'tan' });
    return renamed;
  }

  /**
   * Replace a kept capture (format pcap) with its conversion: audio, sidecar and signature in the month folder,
   * the backup copy and the index row follow; announced as an 'audio' edit.
   */
  async replaceAudio(name: string, input: Omit<FileInput, 'meta' | 'cdrXml'>): Promise<FiledRecording> {
    const before = this.#index.get(name);
    const replaced = await this.#store.replaceAudio(name, input);
    this.#index.upsertRecording(replaced, replaced.sidecar, this.#store.keyring ? 'intact' : (before?.integrity ?? 'unchecked'));
    await this.#publish({ kind: 'edited', name: replaced.name, what: 'audio' });
    return replaced;
  }

  /**
   * Finish a replaceAudio that a crash cut short after its commit: the old audio removed (month folder and backup),
   * the backup given the current files, the index row made to say what the files say; announced as an 'audio'
   * edit when the format changed. For the store's one converter.
   */
  async refreshIndex(name: string): Promise<StoredRecording> {
    const stored = await this.#store.finishReplacement(name);
    const before = this.#index.get(stored.name);
    if (before?.format === stored.format) return stored;
    this.#index.upsertRecording(stored, await this.#readableSidecar(stored), before?.integrity ?? 'unchecked');
    await this.#publish({ kind: 'edited', name: stored.name, what: 'audio' });
    return stored;
  }

  /** Mark or unmark a call as favourite: globally (owner '') or for one player. */
  async setFavourite(name: string, favourite: boolean, owner = ''): Promise<void> {
    const row = this.#index.get(name);
    if (!row) throw new StoreError('not-found', `${name}: no such recording`);
    this.#index.setFavourite(row.callId, favourite, owner);
    await this.#publish({ kind: 'edited', name, what: 'favourite' });
  }

  /** Record an integrity verdict; announced when it changed. */
  async setIntegrity(name: string, integrity: IntegrityState): Promise<void> {
    const before = this.#index.get(name)?.integrity;
    this.#index.setIntegrity(name, integrity);
    if (before !== undefined && before !== integrity) await this.#publish({ kind: 'edited', name, what: 'integrity' });
  }

  /** Verify a recording and keep the verdict in the index. */
  async checkIntegrity(name: string): Promise<IntegrityState> {
    const integrity = await this.#store.verify(name);
    await this.setIntegrity(name, integrity);
    return integrity;
  }

  /** Delete a recording whole (the backup tree is an archive and keeps its copy); refused under a legal hold. */
  async remove(name: string): Promise<void> {
    const hold = (await this.holds.checker())(parseRecordingName(name));
    if (hold !== undefined) throw new StoreError('held', `${name}: under legal hold ${hold}: it cannot be deleted until the hold is released`);
    await this.#store.remove(name);
    this.#index.remove(name);
    await this.#publish({ kind: 'removed', name, reason: 'deleted' });
  }

  /**
   * Erase a recording for a data subject's request: refused under a legal hold or within a mandatory retention
   * policy's period; otherwise its files go (here, in the bucket, in the backup tree), its data keys are destroyed
   * (crypto-shredding: copies elsewhere become unreadable), and its index row goes. The caller audits it.
   */
  async erase(name: string, request: { readonly by: string; readonly reason: string; readonly now?: Date }): Promise<ErasureResult> {
    if (request.reason.trim().length === 0) throw new StoreError('bad-input', `${name}: erasure needs a reason (the request it answers)`);
    const parsed = parseRecordingName(name);
    const hold = (await this.holds.checker())(parsed);
    if (hold !== undefined) throw new StoreError('held', `${name}: under legal hold ${hold}: it cannot be erased until the hold is released`);
    const policy = new RetentionCutoffs({ policies: this.#policies }, request.now ?? new Date(), this.timeZone).policyOf(parsed);
    if (policy?.mandatory && compareLocal(parsed.local, policy.cutoff) >= 0) {
      throw new StoreError('forbidden', `${name}: retention policy ${policy.name} is mandatory: the recording must be kept for its period, so it cannot be erased yet`);
    }
    const entry = await this.#store.get(name);
    const shreddedKeys = await this.#store.dataKeyIds(entry);
    // The keys first: a crash before the files are gone leaves them unreadable, and the erasure is asked again (the
    // key ids are found by their tombstones); the other way round it would leave keys no erasure can reach.
    for (const id of shreddedKeys) await this.#store.dataKeys?.destroy(id, { by: request.by, reason: request.reason.trim(), recording: name });
    const backupFiles = await this.#store.erase(name);
    this.#index.remove(name);
    await this.#publish({ kind: 'removed', name, reason: 'erased' });
    return { name, shreddedKeys, backupFiles };
  }

  /** Keep a file that cannot be processed in the quarantine, with its reason. */
  quarantine(file: string, reason: string): Promise<QuarantineEntry> {
    return this.#quarantine.add(file, reason);
  }

  /** Retention: recordings older than the configured months and quarantined files older than the configured days. */
  async sweep(options: SweepOptions): Promise<SweepResult> {
    const now = options.now ?? new Date();
    let removed: readonly string[] = [];
    let removedFolders: readonly string[] = [];
    let failed: readonly string[] = [];
    let policyOf: Record<string, string> = {};
    let held: SweepResult['held'] = [];
    const policies = options.policies ?? [];
    if (options.retentionMonths !== undefined || policies.length > 0) {
      const plan: RetentionPlan = { policies, ...(options.retentionMonths !== undefined ? { defaultMonths: options.retentionMonths } : {}), heldBy: await this.holds.checker() };
      const retention = await this.#store.applyRetention(plan, now);
      ({ removed, removedFolders, failed, held } = retention);
      policyOf = { ...retention.policyOf };
      // Rows of recordings a sweep deleted before it was killed (files gone, rows left) go now too; a row whose
      // files are still there (a deletion that failed) stays until the sweep that deletes them.
      const gone = new Set(removed);
      const cutoffs = new RetentionCutoffs({ ...plan, heldBy: () => undefined }, now, this.timeZone);
      for (const name of this.#index.namesUpToMonth(retention.cutoffMonth)) {
        if (gone.has(name)) continue;
        const verdict = cutoffs.verdict(parseRecordingName(name));
        if (!verdict.expired) continue;
        policyOf[name] ??= verdict.policy;
        const present = await this.#store.get(name).then(
          () => true,
          (error: unknown) => !(error instanceof StoreError && error.code === 'not-found'),
        );
        if (!present) gone.add(name);
      }
      removed = [...gone];
      for (const name of removed) {
        this.#index.remove(name);
        await this.#publish({ kind: 'removed', name, reason: 'retention' });
      }
    }
    const expiredQuarantine = options.quarantineDays !== undefined ? await this.#quarantine.expire(options.quarantineDays, now) : [];
    return { removed, removedFolders, failed, expiredQuarantine, policyOf, held };
  }

  /** Rebuild the index from the files (the files are the truth); `verify` checks every recording's integrity. */
  reindex(options: { verify?: boolean } = {}): Promise<ReindexResult> {
    return this.#index.reindex(this.#store, options);
  }
}
