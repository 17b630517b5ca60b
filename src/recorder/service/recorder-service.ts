import { setMaxListeners } from 'node:events';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { RecorderConfig } from '../../platform/config/index.js';
import { ConversionPool, convertCapture, serviceConvertKeys } from '../convert/index.js';
import { ClusterUnavailableError, ConversionQueue } from '../cluster/index.js';
import type { ClusterStatus, ConversionJobData } from '../cluster/index.js';
import type { ConvertOptions, FileReport } from '../convert/index.js';
import type { Keyring } from '../../platform/crypto/index.js';
import { DriveError, Ingestor, LocalDrive, StandbyPairDrive, WebDavDrive } from '../ingest/index.js';
import type { PbxRole } from '../ingest/index.js';
import type { CaptureDrive, DriveStatus, IngestedCapture } from '../ingest/index.js';
import { PbxLink, ReportingClient, ReportingUnavailableError, cdrToXml } from '../pbx/index.js';
import { CdrInterface } from './cdr-interface.js';
import { StorageRoom, isDiskFull } from './storage-room.js';
import { RANDOM_SAMPLING_FILE, RandomSampler } from './random-sampling.js';
import { RecordingLicences } from './licences.js';
import { ServiceMonitor } from './service-monitor.js';
import { AlarmMailer } from './alarm-mail.js';
import { StatusEndpoint } from './status-endpoint.js';
import { BACKUP_PENDING_FILE, BackupRetry } from './backup-retry.js';
import type { LampName, MasterAlarmStatus } from './master-alarm.js';
import { THREAD_CALL_MARKS_FILE, ThreadCallMarks } from './thread-call-marks.js';
import type { StoredMark } from './thread-call-marks.js';
import type { LicenceStatus } from './licences.js';
import type { RandomSamplingCounts } from './random-sampling.js';
import type { Cdr, CallEndInfo, CallLegInfo, PbxLinkStatus } from '../pbx/index.js';
import { CaptureNameError, CdrConfMismatchError, DeviceUnknownError, NoCdrError, callEndUtc, decideRecording, markedDuringCall, marksAfterCall, parseCaptureName, recordingCallIdOf } from '../rules/index.js';
import type { CaptureName, RecordingDecision } from '../rules/index.js';
import { BucketError, StoreError, openRecordings } from '../../recordings/index.js';
import { Journal, unfinishedConfs } from './journal.js';
import { CONFIG_DIGEST_FILE, ServiceAudit, describePolicy, packageVersion } from './service-audit.js';
import { RECONCILE_SETTLE_MS, isNotRecordedCause, reconcilePeriod } from '../reconcile/index.js';
import type { NotRecordedCause } from '../reconcile/index.js';
import type { BackupOutcome, Recordings, StoredRecording } from '../../recordings/index.js';
import type { JournalItem } from './journal.js';
import { required, toJournalValue, workOf } from './work-item.js';
import type { CaptureWork } from './work-item.js';
import { Serial, exists, namesIn } from '../../platform/util/index.js';

/** CallInfo state: the low nibble is the call's state (5 = connected); higher bits say direction and hold. */
const CALL_STATE_MASK = 0x0f;
const CALL_STATE_CONNECTED = 5;

/** The reference's status lamps: PBX link, reporting, capture drive, storage disk, backup, unexpected software errors. */
export interface ServiceLamps {
  readonly PBX: 'green' | 'red';
  readonly REP: 'green' | 'red';
  readonly PCAP: 'green' | 'red';
  readonly DISK: 'green' | 'red';
  /** Grey without a backup path; red while the last copy to the backup tree failed. */
  readonly BACKUP: 'green' | 'red' | 'grey';
  readonly SOFTWARE: 'green' | 'red';
}

export interface ServiceCounters {
  captured: number;
  filed: number;
  discarded: number;
  quarantined: number;
  /** SOAP call ends whose capture never came (agents' calls only). */
  callEndsWithoutCapture: number;
  /** Captures decided from CDRs the PBX posted to the CDR interface, and from the reporting query. */
  decidedFromCdrInterface: number;
  decidedFromReporting: number;
}

export interface ServiceStatus {
  readonly lamps: ServiceLamps;
  /** The master alarm (once the service has started). */
  readonly master?: MasterAlarmStatus;
  readonly counters: Readonly<ServiceCounters>;
  /** Items in the journal that are not finished. */
  readonly pending: number;
  readonly lastErrors: readonly string[];
  /** Where the PBX posts CDRs, and how many came (when the CDR interface is configured). */
  readonly cdrInterface?: { readonly url: string; readonly received: number; readonly refused: number };
  /** Random recording's counters (mode "random"). */
  readonly random?: RandomSamplingCounts;
  /** Recording licences against the members of the recording group (when `[licences]` is configured). */
  readonly licences?: LicenceStatus;
  /** Thread-call recording (mode "tcr"): calls waiting for a mark, and marks known. */
  readonly threadCall?: { readonly waiting: number; readonly marks: number };
}

export interface FiledEvent {
  readonly capture: string;
  readonly recording: StoredRecording;
  readonly decision: RecordingDecision;
  /** ms from the SOAP call end (or the copy, when no call end was seen) to the recording being filed. */
  readonly latencyMs: number;
}

export interface RecorderServiceOptions {
  readonly config: RecorderConfig;
  readonly logger?: Logger;
  readonly keyring?: Keyring;
  /** Conversion worker threads (default: one in-process conversion at a time, no pool). */
  readonly workers?: number;
  /** Called after each recording is filed and indexed (the player's live view, the TCP link). */
  readonly onFiled?: (event: FiledEvent) => void;
  /** The master alarm's start-up grace (ms; default [alarm] graceSeconds, 20 s). */
  readonly alarmGraceMs?: number;
  /** How often the status file is written and the lamps looked at (ms; default 2000). */
  readonly statusIntervalMs?: number;
  /** Wait before retrying a failed backup copy, and the longest wait (ms; default 5 s, 10 min). */
  readonly backupRetryMs?: readonly [number, number];
  /** TLS options for the alarm mail's SMTP connection (a private CA). */
  readonly mailTls?: { readonly ca?: string | Buffer; readonly rejectUnauthorized?: boolean };
  /** Drive poll interval override in ms (the config gives seconds). */
  readonly pollMs?: number;
  /** Settle time of a capture whose call end was seen (ms, default 250). */
  readonly endedSettleMs?: number;
  /** Settle time without a call end (ms, default 2000: the reference's wait). */
  readonly settleMs?: number;
  /** Longest pause between attempts while the storage disk is full (ms, default 60000). */
  readonly diskRetryMaxMs?: number;
  /** How long after a call end its capture may take to appear before the call is listed as without capture (ms, default 120000). */
  readonly captureWaitMs?: number;
  /** Interval of the long CDR retries in ms, overriding the config's minutes (tests). */
  readonly longRetryMs?: number;
  /** Wait before an unanswered reporting is asked again (ms, default 5000). */
  readonly reportingRetryMs?: number;
  /** How often the last day's calls are reconciled against the recordings (ms, default 1 h; needs [reporting] pbx). */
  readonly reconcileIntervalMs?: number;
  /** Calls that ended less than this long ago are not judged yet (ms, default 30 minutes). */
  readonly reconcileSettleMs?: number;
  /** Audit trails of users' deletions (the player's), which account for a recording's absence. */
  readonly userTrails?: readonly string[];
}

/** The master alarm's state in WORKDIR (it survives restarts). */
export const MASTER_ALARM_FILE = 'master-alarm.json';
const MAX_ERRORS = 20;
/** Free space gained that makes a full disk's waiting work go on at once. */
const FREED_BYTES = 1024 * 1024;
/** How often the job queue's counts are read for the status (with [cluster]). */
const CLUSTER_STATUS_MS = 3000;

/** Conversion options as a job carries them: no keys (a worker uses its own configuration's). */
function withoutKeys(options: ConvertOptions): ConversionJobData['options'] {
  const { outDir: _outDir, encryption: _keys, outputStem: _stem, landing: _landing, ...rest } = options;
  return rest;
}
/** Capture names kept parsed (names on the drive and in the journal; far more than a drive holds at once). */
const MAX_PARSED_NAMES = 10_000;
/** A call with no leg news for this long is no longer taken as going on (a lost release must not hold its capture forever). */
const MAX_SILENT_CALL_MS = 6 * 3600 * 1000;

/**
 * `recorder run`: records every call of the PBX, unattended. Captures come
 * off the drive (copied and verified), are correlated with the call's CDRs
 * (asked for at the SOAP call end, retried on the reference's schedule),
 * decided by the agent rules, converted, filed (atomically, optionally
 * encrypted) and indexed; only then is the capture deleted from the drive.
 * Every step is journaled first, so a crash anywhere resumes the step and
 * never loses or doubles a call.
 */
export class RecorderService {
  private readonly config: RecorderConfig;
  private readonly log: Logger;
  private journal: Journal | undefined;
  private store: Recordings | undefined;
  private ingestor: Ingestor | undefined;
  private link: PbxLink | undefined;
  private reporting: ReportingClient | undefined;
  private cdrInterface: CdrInterface | undefined;
  /** The URL the PBX's CDR interface posts to, once listening. */
  cdrInterfaceUrl: string | undefined;
  private pool: ConversionPool | undefined;
  /** With [cluster]: conversions are jobs for `recorder worker` processes. */
  private queue: ConversionQueue | undefined;
  /** The queue as last read (counts, workers, dead letters), for the status. */
  private clusterStatus: ClusterStatus | undefined;
  private clusterTimer: NodeJS.Timeout | undefined;
  /** Whether the last request to the queue failed (said once per outage). */
  private queueAway = false;
  /** Aborted at stop: conversions waiting for their jobs stop waiting (hundreds may wait at once, each listening). */
  private readonly stopping = unlimitedAbortController();
  /** When this service started (ms since epoch): CDRs posted before it may be a part of their call's. */
  private startedAt = Date.now();
  /** When the last run last wrote its journal (0 on a first start). */
  private lastRunAt = 0;
  /** When the CDR interface began to listen: the PBX's held-back records can come from then on. */
  private listeningAt: number | undefined;
  private readonly callEnds = new Map<string, number>();
  /** Conferences with an open leg on the SOAP link → when their last leg news came (ms since epoch). */
  private readonly ongoingCalls = new Map<string, number>();
  /** `confId/extension` of the call starts told on the change feed (the player link's FRST). */
  private readonly startsAnnounced = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly trials = new Map<string, number>();
  /** The lamps but DISK (the storage room's). */
  private readonly lamps: { -readonly [K in Exclude<keyof ServiceLamps, 'DISK' | 'BACKUP'>]: ServiceLamps[K] } = { PBX: 'red', REP: 'green', PCAP: 'red', SOFTWARE: 'green' };
  /** The store disk's free bytes at the monitor's last look. */
  private lastFreeBytes: number | undefined;
  /** Why the store's disk is below its low-water mark (the DISK lamp red before the disk is full), if it is. */
  private lowSpace: string | undefined;
  /** Why the recordings' bucket refused the last move (DISK red), until a move succeeds. */
  private bucketDown: string | undefined;
  /** Tries of moving each recording to the bucket, for the back-off. */
  private readonly bucketTrials = new Map<string, number>();
  /** Failed copies to the backup tree, tried again until they succeed (with a backup path). */
  private backupRetry: BackupRetry | undefined;
  /** Why each lamp went red last (for the status and the alarm mails). */
  private readonly lampReasons: Partial<Record<LampName, string>> = {};
  /** When each scheduled step is due (the status's next retry). */
  private readonly timerDue = new Map<string, number>();
  private monitor: ServiceMonitor | undefined;
  /** Mails the master alarm's events (when [alarm.mail] is configured). */
  private mailer: AlarmMailer | undefined;
  private statusEndpoint: StatusEndpoint | undefined;
  /** The PBX the SOAP link last worked with: its drive is the one the PCAP lamp speaks of (with a standby drive). */
  private pbxFollowed: PbxRole = 'active';
  /** Local capture folders watched (closed at stop). */
  private readonly localDrives: LocalDrive[] = [];
  /** Whether the standby PBX's drive is read too (drive.standbyUrl / standbyPath). */
  private readsStandbyDrive = false;
  /** The PBX's serial number (from the SOAP link): the id its own gateway writes into v11 capture names. */
  private pbxSerial: string | undefined;
  /** The storage disk's room: the DISK lamp and the work waiting for room. */
  private readonly room: StorageRoom;
  private housekeepingTimer: NodeJS.Timeout | undefined;
  private readonly counters: ServiceCounters = { captured: 0, filed: 0, discarded: 0, quarantined: 0, callEndsWithoutCapture: 0, decidedFromCdrInterface: 0, decidedFromReporting: 0 };
  private readonly errors: string[] = [];
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly parsedNames = new Map<string, CaptureName | undefined>();
  /** Random recording's counters, in mode "random". */
  private sampler: RandomSampler | undefined;
  /** The recording group counted against the licences, when they are configured. */
  private licences: RecordingLicences | undefined;
  /** The service's audit trail: call outcomes, retention deletions, starts, alarm commands. */
  private audit: ServiceAudit | undefined;
  /** Calls of recorded users with neither a recording nor a reason, as the last reconciliation found (PCAP red). */
  private reconcileFinding: string | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  /** Thread-call recording's marks, in mode "tcr". */
  private marks: ThreadCallMarks | undefined;
  /** Per user, the conferences of its latest calls on the SOAP link, newest last: a mark made now keeps the last one. */
  private readonly recentCalls = new Map<string, string[]>();
  /** Conferences that are calls to the TCR object (marks). */
  private readonly markingCalls = new Set<string>();
  /**
   * Per user, the calls the CDR interface has records of (conference → end, PBX clock): a mark by time keeps the
   * user's last call before it, also when a later call's capture has not been decided yet.
   */
  private readonly callsInRecords = new Map<string, Map<string, number>>();
  /** Posted CDRs are read for marks in the order they came: a mark's records came after those of the calls before it. */
  private readonly postedCdrReads = new Serial();

  constructor(private readonly options: RecorderServiceOptions) {
    this.config = options.config;
    this.log = options.logger ?? pino({ level: options.config.log.level, base: { service: 'recorder' } });
    this.room = new StorageRoom({
      log: this.log,
      ...(options.diskRetryMaxMs !== undefined ? { longestPauseMs: options.diskRetryMaxMs } : {}),
      retry: (name) => this.schedule(name, 0),
      pauseCopying: (paused) => this.ingestor?.pauseCopying(paused),
    });
  }

  /** A capture's name parsed once (the ingestor asks about it on every poll, each step needs its conference). */
  private captureName(name: string): CaptureName | undefined {
    if (this.parsedNames.has(name)) return this.parsedNames.get(name);
    if (this.parsedNames.size >= MAX_PARSED_NAMES) this.parsedNames.clear();
    const parsed = parseCaptureName(name);
    this.parsedNames.set(name, parsed);
    return parsed;
  }

  /** The status endpoint's address, when [status] is configured and the service started. */
  get statusUrl(): string | undefined {
    return this.statusEndpoint?.url;
  }

  /** The store's recordings, once started (the player in the same process shares them). */
  get recordings(): Recordings | undefined {
    return this.store;
  }

  status(): ServiceStatus {
    const pending = this.journal?.pending().length ?? 0;
    const cdr = this.cdrInterface;
    return {
      lamps: this.currentLamps(),
      ...(this.monitor?.alarm ? { master: this.monitor.alarm.status() } : {}),
      counters: { ...this.counters },
      pending,
      lastErrors: [...this.errors],
      ...(cdr && this.cdrInterfaceUrl ? { cdrInterface: { url: this.cdrInterfaceUrl, received: cdr.received, refused: cdr.refused } } : {}),
      ...(this.sampler ? { random: this.sampler.counts() } : {}),
      ...(this.licences ? { licences: this.licences.status() } : {}),
      ...(this.marks
        ? { threadCall: { waiting: (this.journal?.pending() ?? []).filter((item) => item.state === 'correlated' && workOf(item).tcr?.deadline !== undefined).length, marks: this.marks.size } }
        : {}),
    };
  }

  private currentLamps(): ServiceLamps {
    // BACKUP is red while copies wait to be tried again: the backup is behind.
    return { ...this.lamps, PCAP: this.reconcileFinding !== undefined ? 'red' : this.lamps.PCAP, DISK: this.room.lamp === 'red' || this.lowSpace !== undefined || this.bucketDown !== undefined ? 'red' : 'green', BACKUP: this.config.storage.backup === undefined ? 'grey' : (this.backupRetry?.size ?? 0) > 0 ? 'red' : 'green' };
  }

  /** A lamp's colour with its reason; the monitor looks at once (the alarm and the status see it within a round). */
  private setLamp(lamp: 'PBX' | 'REP' | 'PCAP' | 'SOFTWARE', colour: 'green' | 'red', reason?: string): void {
    if (colour === 'red' && reason !== undefined) this.lampReasons[lamp] = reason;
    if (this.lamps[lamp] === colour) return;
    this.lamps[lamp] = colour;
    void this.monitor?.tick();
  }

  async start(): Promise<void> {
    this.startedAt = Date.now();
    const { storage, recording, encryption } = this.config;
    // Encryption on without keys would file plaintext: refused before anything is touched.
    if (encryption.enabled && (this.options.keyring === undefined || this.options.keyring.size === 0)) {
      throw new Error('encryption is enabled in the configuration but the service was given no keys (load encryption.keyFiles)');
    }
    await mkdir(storage.workDir, { recursive: true });
    this.store = await openRecordings(this.config, this.options.keyring);
    await mkdir(dirname(storage.journalPath), { recursive: true });
    // The journal's last write is when the last run last did something: the time since is how long it was away.
    const lastRun = await stat(storage.journalPath).then((info) => info.mtimeMs, () => undefined);
    if (lastRun !== undefined) this.lastRunAt = lastRun;
    this.journal = await Journal.open(storage.journalPath);
    await mkdir(dirname(storage.auditPath), { recursive: true });
    this.audit = new ServiceAudit(storage.auditPath, this.store.keyring, (error) => this.log.error({ err: error, trail: storage.auditPath }, 'the audit trail could not be written'));
    await this.audit.started(this.config, packageVersion(), join(storage.workDir, CONFIG_DIGEST_FILE));
    if (recording.mode === 'tcr' && this.config.tcr) {
      this.marks = ThreadCallMarks.open(join(dirname(storage.journalPath), THREAD_CALL_MARKS_FILE), this.config.tcr.markWindowSeconds);
      this.log.info({ marks: this.marks.size, windowSeconds: this.config.tcr.markWindowSeconds }, 'thread-call recording: marks loaded');
    }
    if (recording.mode === 'random' && this.config.random) {
      this.sampler = RandomSampler.open(join(dirname(storage.journalPath), RANDOM_SAMPLING_FILE), this.config.random);
      this.log.info(this.sampler.counts(), 'random recording: counters loaded');
    }
    await this.removeOrphans();
    if (this.config.cluster) {
      this.queue = new ConversionQueue(this.config.cluster);
      this.log.info({ queue: this.queue.where }, 'conversions go to the job queue: run `recorder worker` with this configuration');
      const refresh = (): void => {
        void this.queue?.status().then((status) => (this.clusterStatus = status));
      };
      refresh();
      this.clusterTimer = setInterval(refresh, CLUSTER_STATUS_MS);
      this.clusterTimer.unref();
    } else if (this.options.workers !== undefined && this.options.workers > 0) this.pool = new ConversionPool({ workers: this.options.workers });
    this.log.info({ format: recording.format, mix: recording.mix, root: storage.root }, 'recorder starting');

    this.reporting = ReportingClient.of(this.config.reporting);
    const cdrSettings = this.config.cdrInterface;
    if (cdrSettings) {
      const cdrInterface = new CdrInterface({
        host: cdrSettings.host,
        port: cdrSettings.port,
        path: cdrSettings.path,
        username: cdrSettings.username,
        password: cdrSettings.password,
        inboxDir: join(storage.workDir, 'cdr-inbox'),
        onRefused: (reason, remote) => this.log.warn({ remote, reason }, 'CDR interface: a post was refused'),
        ...(encryption.enabled && this.store.keyring ? { seal: this.store.keyring } : {}),
      });
      cdrInterface.on('cdr', (conf) => this.onCdrPosted(conf));
      this.cdrInterfaceUrl = await cdrInterface.listen();
      this.listeningAt = Date.now();
      this.cdrInterface = cdrInterface;
      await this.marksFromInbox();
      this.log.info({ url: this.cdrInterfaceUrl }, 'CDR interface listening: configure it as a CDR interface of the PBX');
    }
    this.link = new PbxLink({
      url: this.config.pbx.url,
      ...(this.config.pbx.standbyUrl ? { standbyUrl: this.config.pbx.standbyUrl } : {}),
      username: this.config.pbx.username,
      password: this.config.pbx.password,
      monitorUser: this.config.pbx.soapUser,
      application: 'recorder',
    });
    this.link.on('status', (status) => this.onLinkStatus(status));
    this.link.on('call-end', (end) => this.onCallEnd(end));
    this.link.on('call-event', (event) => this.onCallEvent(event));
    if (this.config.licences) {
      const licences = new RecordingLicences(this.config.licences.recording, this.config.pbx.group, this.log);
      this.licences = licences;
      this.link.on('users', (users) => licences.update(users));
    }

    const drive = this.makeDrive();
    this.ingestor = new Ingestor({
      drive,
      workDir: join(storage.workDir, 'captures'),
      pollMs: this.options.pollMs ?? this.config.drive.pollSeconds * 1000,
      settleMs: this.options.settleMs ?? 2000,
      endedSettleMs: this.options.endedSettleMs ?? 250,
      callEnded: (name) => {
        const confId = this.captureName(name)?.confId;
        return confId !== undefined && this.callEnds.has(confId);
      },
      callOngoing: (name) => {
        const confId = this.captureName(name)?.confId;
        const lastNews = confId !== undefined ? this.ongoingCalls.get(confId) : undefined;
        if (lastNews === undefined) return false;
        if (Date.now() - lastNews < MAX_SILENT_CALL_MS) return true;
        this.ongoingCalls.delete(confId!);
        return false;
      },
      alreadyTaken: (name) => this.journal?.get(name) !== undefined,
      // Encryption on: working copies are sealed as they are copied (the converter opens them with the keys).
      ...(encryption.enabled && this.store.keyring ? { seal: this.store.keyring } : {}),
      onCapture: (capture) => this.onCapture(capture),
      onStatus: (status) => this.onDriveStatus(status),
      onFileError: (name, error) => {
        // A full working disk is one condition, raised once, not a warning per file per poll.
        if (isDiskFull(error)) this.room.full(undefined, `copying ${name} from the drive`, error);
        else this.log.warn({ capture: name, code: error.code }, error.message);
      },
    });
    for (const local of this.localDrives) local.watch(() => this.ingestor?.nudge());

    if (storage.backup !== undefined) {
      const store = this.store;
      this.backupRetry = await BackupRetry.open({
        file: join(storage.workDir, BACKUP_PENDING_FILE),
        copy: (name) =>
          store.backupRecording(name).catch((error: unknown) => {
            if (error instanceof StoreError && error.code === 'not-found') return 'gone' as const;
            throw error;
          }),
        ...(this.options.backupRetryMs ? { retryMs: this.options.backupRetryMs } : {}),
        log: this.log,
        onChange: () => void this.monitor?.tick(),
      });
    }
    const mail = this.config.alarm?.mail;
    if (mail) this.mailer = new AlarmMailer({ settings: mail, log: this.log, ...(this.options.mailTls ? { tls: this.options.mailTls } : {}) });
    // Its own watch: lamps → master alarm (mail), alarm commands, the status file others read.
    this.monitor = new ServiceMonitor(
      {
        lamps: () => this.currentLamps(),
        diskMeasured: (free) => this.diskMeasured(free),
        lampReasons: () => ({
          ...this.lampReasons,
          ...(this.reconcileFinding !== undefined ? { PCAP: this.lamps.PCAP === 'red' && this.lampReasons.PCAP ? `${this.lampReasons.PCAP}; ${this.reconcileFinding}` : this.reconcileFinding } : {}),
          ...(this.lowSpace !== undefined ? { DISK: this.lowSpace } : {}),
          ...(this.bucketDown !== undefined ? { DISK: this.bucketDown } : {}),
          ...(this.room.lamp === 'red' ? { DISK: this.room.reason ?? 'the storage disk is full or refuses writes' } : {}),
          ...(this.backupRetry?.lastError !== undefined ? { BACKUP: `${this.backupRetry.size} waiting; last: ${this.backupRetry.lastError}` } : {}),
        }),
        channelsInRecording: () => this.ongoingCalls.size,
        capturesWaiting: () => this.journal?.pending().length ?? 0,
        nextRetryAt: () => {
          const due = [...this.timerDue.values(), ...(this.backupRetry?.nextAt !== undefined ? [this.backupRetry.nextAt] : [])];
          return due.length > 0 ? Math.min(...due) : undefined;
        },
        recentErrors: () => this.errors,
        counters: () => this.counters,
        cluster: () => this.clusterStatus,
      },
      {
        workDir: storage.workDir,
        storeRoot: storage.root,
        alarmFile: join(storage.workDir, MASTER_ALARM_FILE),
        graceMs: this.options.alarmGraceMs ?? (this.config.alarm?.graceSeconds ?? 20) * 1000,
        log: this.log,
        ...(this.options.statusIntervalMs !== undefined ? { intervalMs: this.options.statusIntervalMs } : {}),
        onAlarmCommand: (command) => this.audit?.alarmCommand(command.action, command.by),
        ...(this.mailer ? { onAlarmEvent: (event, status, snapshot) => this.mailer!.notify(event, status, snapshot) } : {}),
      },
    );
    await this.monitor.start();
    if (this.config.status) {
      const monitor = this.monitor;
      this.statusEndpoint = new StatusEndpoint(() => monitor.snapshot());
      const url = await this.statusEndpoint.listen(this.config.status.port, this.config.status.host);
      this.log.info({ url }, 'status endpoint: GET /status, /metrics');
    }

    // Resume what the last run left unfinished, from its last durable step.
    for (const item of this.journal.pending()) this.schedule(item.key, 0);
    this.link.start();
    this.ingestor.start();
    await this.housekeeping();
    // A service runs for years: retention applies every day, not only at start-up.
    this.housekeepingTimer = setInterval(() => void this.housekeeping().catch((error: unknown) => this.log.warn({ err: error }, 'housekeeping failed')), HOUSEKEEPING_MS);
    this.housekeepingTimer.unref();
    if (this.config.reporting.pbx !== undefined) {
      const every = this.options.reconcileIntervalMs ?? RECONCILE_INTERVAL_MS;
      this.reconcileTimer = setInterval(() => void this.reconcileRecent().catch((error: unknown) => this.log.warn({ err: error }, 'reconciliation failed')), every);
      this.reconcileTimer.unref();
    }
  }

  /**
   * Reconcile the last day's calls of recorded users against the recordings and the reasons in the trail; calls
   * with neither turn the PCAP lamp red (the capture that should have come did not) until a run finds none.
   */
  private async reconcileRecent(): Promise<void> {
    if (this.stopped || this.config.reporting.pbx === undefined) return;
    const now = Date.now();
    const inProgress = unfinishedConfs(this.journal?.pending() ?? []);
    let report;
    try {
      report = await reconcilePeriod(this.config, {
        from: new Date(now - RECONCILE_SPAN_MS),
        // A PBX clock ahead of ours puts its latest calls after our now: they are asked for too (and are pending).
        to: new Date(now + RECONCILE_CLOCK_MARGIN_MS),
        now,
        inProgress,
        ...(this.options.userTrails ? { userTrails: this.options.userTrails } : {}),
        settleMs: this.options.reconcileSettleMs ?? RECONCILE_SETTLE_MS,
      });
    } catch (error) {
      // An unreachable reporting is the REP lamp's business; the next round tries again.
      if (error instanceof ReportingUnavailableError) return void this.log.info({ reason: error.message }, 'reconciliation: the reporting did not answer; tried again at the next round');
      throw error;
    }
    if (this.stopped) return;
    await this.audit?.reconciled(report);
    const findings = report.calls.filter((call) => call.problem);
    const before = this.reconcileFinding;
    this.reconcileFinding =
      findings.length === 0
        ? undefined
        : `reconciliation: ${findings.length} call(s) of recorded users since ${report.from} with no recording and no accepted reason (first: ${findings[0]!.conf}, ${findings[0]!.verdict}); see recorder reconcile`;
    if (this.reconcileFinding !== undefined) this.log.error({ calls: findings.map((call) => ({ conf: call.conf, verdict: call.verdict, agents: call.agents })) }, this.reconcileFinding);
    else if (before !== undefined) this.log.info('reconciliation: every call of a recorded user has its recording or a reason again');
    if (before !== this.reconcileFinding) void this.monitor?.tick();
  }

  /** Retention of recordings and of the quarantine. */
  private async housekeeping(): Promise<void> {
    const { retentionMonths, retentionPolicies, quarantineDays } = this.config.storage;
    const swept = await this.store!.sweep({ ...(retentionMonths !== undefined ? { retentionMonths } : {}), policies: retentionPolicies, quarantineDays });
    if (swept.removed.length > 0) {
      this.log.info({ removed: swept.removed.length }, 'retention: old recordings removed');
      await this.audit?.retentionDeleted(swept.removed.map((name) => ({ recording: name, policy: describePolicy(swept.policyOf[name], retentionMonths, retentionPolicies) })));
    }
    if (swept.held.length > 0) {
      this.log.info({ held: swept.held.length }, 'retention: recordings past their time kept under legal hold');
      await this.audit?.retentionHeld(swept.held);
    }
    if (swept.failed.length > 0) this.log.warn({ failed: swept.failed.length, first: swept.failed[0] }, 'retention: the bucket refused to delete old recordings (object lock?): tried again at the next sweep');
    if (swept.expiredQuarantine.length > 0) {
      this.log.info({ removed: swept.expiredQuarantine.length, days: quarantineDays }, 'retention: old quarantined captures removed');
      await this.audit?.quarantineExpired(swept.expiredQuarantine, quarantineDays);
    }
    if (this.cdrInterface && this.config.cdrInterface) {
      const dropped = await this.cdrInterface.sweep(this.config.cdrInterface.keepHours * 3600 * 1000);
      if (dropped > 0) this.log.info({ conferences: dropped }, 'CDR interface: CDRs no capture asked for were dropped');
    }
  }

  /**
   * Working files no journal item refers to any more: a kill between the journal's last step and the clean-up
   * leaves them (a plaintext capture, a decoded recording). They would stay forever; nothing needs them.
   */
  private async removeOrphans(): Promise<void> {
    const workDir = this.config.storage.workDir;
    const referenced = new Set<string>();
    for (const item of this.journal!.pending()) {
      const work = workOf(item);
      for (const path of [work.path, work.output]) if (path !== undefined) referenced.add(path);
      referenced.add(join(workDir, 'out', item.key));
    }
    let removed = 0;
    for (const folder of [join(workDir, 'captures'), join(workDir, 'out')]) {
      for (const name of await namesIn(folder)) {
        const path = join(folder, name);
        // Kept while a pending item names it (a capture's working copy, its output folder); a .partial is a dead copy.
        if (referenced.has(path)) continue;
        await rm(path, { recursive: true, force: true });
        removed++;
      }
    }
    if (removed > 0) this.log.info({ removed }, 'start-up: working files no pending capture refers to were removed');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Steps waiting on the job queue let go (with no worker running they would wait for ever).
    this.stopping.abort(new Error('the service stops'));
    this.room.stop();
    if (this.housekeepingTimer) clearInterval(this.housekeepingTimer);
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.timerDue.clear();
    await this.ingestor?.stop();
    await this.link?.stop();
    await this.cdrInterface?.close();
    await Promise.all(this.localDrives.splice(0).map((local) => local.close()));
    await Promise.allSettled(this.running.values());
    await this.pool?.destroy();
    if (this.clusterTimer) clearInterval(this.clusterTimer);
    await this.queue?.close();
    await this.statusEndpoint?.close();
    await this.backupRetry?.stop();
    await this.monitor?.stop();
    await this.mailer?.close();
    await this.audit?.close();
    await this.journal?.close();
    await this.store?.close();
    this.log.info('recorder stopped');
  }

  /** The low-water mark: below it DISK is red (logged once each way), so there is time to act before the disk is full. */
  private diskMeasured(freeBytes: number | undefined): void {
    if (freeBytes === undefined) return;
    // A full disk that gained a megabyte or more since the last look (files removed, the volume grown): try at once.
    if (this.lastFreeBytes !== undefined && freeBytes >= this.lastFreeBytes + FREED_BYTES) this.room.spaceFreed();
    this.lastFreeBytes = freeBytes;
    const minimum = this.config.storage.minFreeMegabytes * 1024 * 1024;
    const low = freeBytes < minimum;
    if (low && this.lowSpace === undefined) this.log.warn({ freeMegabytes: Math.floor(freeBytes / 1048576), minFreeMegabytes: this.config.storage.minFreeMegabytes }, 'storage disk below its low-water mark');
    if (!low && this.lowSpace !== undefined) this.log.info({ freeMegabytes: Math.floor(freeBytes / 1048576) }, 'storage disk above its low-water mark again');
    this.lowSpace = low ? `${Math.floor(freeBytes / 1048576)} MB free, below the low-water mark of ${this.config.storage.minFreeMegabytes} MB` : undefined;
  }

  /** A copy to the backup tree failed: tried again until it succeeds; the BACKUP lamp is red meanwhile. */
  private noteBackup(recording: string, backup: BackupOutcome): void {
    if (backup.status !== 'failed' || !this.backupRetry) return;
    if (this.backupRetry.size === 0) this.log.warn({ recording, reason: backup.error }, 'the copy to the backup tree failed; it is tried again until it works');
    this.backupRetry.add(recording, backup.error);
  }

  /** Resolves when nothing is running or scheduled within `horizonMs` (tests and the foreground converter). */
  async idle(): Promise<void> {
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.running.size === 0 && this.timers.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private makeDrive(): CaptureDrive {
    const drive = this.config.drive;
    const one = (where: string): CaptureDrive => {
      if (drive.kind === 'webdav') return new WebDavDrive({ url: where, username: drive.username, password: drive.password });
      const local = new LocalDrive(where);
      this.localDrives.push(local);
      return local;
    };
    const active = one(drive.kind === 'local' ? drive.path : drive.url);
    const standbyAt = drive.kind === 'local' ? drive.standbyPath : drive.standbyUrl;
    if (standbyAt === undefined) return active;
    this.readsStandbyDrive = true;
    return new StandbyPairDrive({
      active,
      standby: one(standbyAt),
      following: () => this.pbxFollowed,
      // The drive of the PBX not worked with: its being away is no alarm (a standby PBX off, an active one failed).
      onOtherDrive: (role, where, error) => {
        if (error) this.log.info({ pbx: role, drive: where, reason: error.message }, `the ${role} PBX's drive is not reachable: captures written there are taken when it answers again`);
        else this.log.info({ pbx: role, drive: where }, `the ${role} PBX's drive answers`);
      },
    });
  }

  private onLinkStatus(status: PbxLinkStatus): void {
    this.setLamp('PBX', status.up ? 'green' : 'red', status.error ?? `the ${status.pbx} PBX does not answer`);
    if (status.serial !== undefined) this.pbxSerial = status.serial;
    // Without the link (and in its next session) these calls' ends would never be seen: their captures settle by time.
    this.ongoingCalls.clear();
    if (status.up) {
      this.log.info({ pbx: status.pbx, url: status.url }, 'PBX link up');
      if (status.pbx !== this.pbxFollowed) {
        this.pbxFollowed = status.pbx;
        if (this.readsStandbyDrive) {
          this.log.info({ pbx: status.pbx }, `captures are now expected on the ${status.pbx} PBX's drive (the other one is still read)`);
          this.ingestor?.nudge();
        }
      }
      if (status.pbx === 'active') this.reporting?.preferActive();
    } else this.log.warn({ pbx: status.pbx, url: status.url, reason: status.error }, 'PBX link down');
  }

  private onDriveStatus(status: DriveStatus): void {
    this.setLamp('PCAP', status.reachable ? 'green' : 'red', status.error ?? 'the capture drive is not reachable');
    if (status.reachable) this.log.info({ drive: status.drive }, 'capture drive reachable');
    else this.log.warn({ drive: status.drive, reason: status.error }, 'capture drive not reachable');
  }

  /** A leg opened or changed: its call goes on, so its capture may pause (hold) without being complete. */
  private onCallEvent(event: CallLegInfo): void {
    if (event.active && event.msg !== 'del') this.ongoingCalls.set(event.confId, Date.now());
    this.announceStart(event);
    const tcr = this.config.tcr;
    const agent = event.user?.e164;
    if (!this.marks || !tcr || !agent || this.markingCalls.has(event.confId)) return;
    const recent = this.recentCalls.get(agent) ?? [];
    // The agent's own call to the TCR object (set up from its phone, or ringing or answered there first) is a
    // marking call; the object joining a call that goes on (the record key) is a mark during it: its records say so.
    const callingTcr = event.peer?.e164 === tcr.number && ['r-setup', 'x-alert', 'x-conn'].includes(event.msg);
    if (callingTcr && !recent.includes(event.confId)) {
      // The agent calls the TCR object: a mark of the agent's last call before this one, seen as it happens.
      this.markingCalls.add(event.confId);
      const target = recent.filter((conf) => conf !== event.confId && !this.markingCalls.has(conf)).at(-1);
      this.addMark({ markConf: event.confId, agent, ...(target !== undefined ? { target } : {}), seenAt: Date.now() });
      return;
    }
    if (recent.at(-1) !== event.confId) this.recentCalls.set(agent, [...recent.filter((conf) => conf !== event.confId), event.confId].slice(-5));
  }

  /**
   * An agent's leg connected: the call is being recorded. Told once per call and agent on the change feed, where
   * the player link picks it up for the AppServer (FRST) at once: the agent's application record is being opened.
   * Calls to the TCR object and members beyond the licences are no recorded calls.
   */
  private announceStart(event: CallLegInfo): void {
    const extension = event.user?.e164;
    if (!this.recordings || !extension || !event.active || (event.state & CALL_STATE_MASK) !== CALL_STATE_CONNECTED) return;
    if (event.peer?.e164 !== undefined && event.peer.e164 === this.config.tcr?.number) return;
    if (this.markingCalls.has(event.confId) || (this.licences && !this.licences.holds(extension))) return;
    const key = `${event.confId}/${extension}`;
    if (this.startsAnnounced.has(key)) return;
    this.startsAnnounced.add(key);
    // A bounded memory: a call's legs connect within minutes, not thousands of calls apart.
    if (this.startsAnnounced.size > 10_000) this.startsAnnounced.delete(this.startsAnnounced.values().next().value!);
    void this.recordings.announceCallStart({ callId: event.confId, extension, agent: event.user?.cn ?? extension }).catch((error: unknown) => {
      this.log.warn({ err: error, call: event.confId }, 'the start of a recorded call could not be announced (no FRST for it)');
    });
  }

  /** A new mark: kept durably, then the agent's waiting calls look again. */
  private addMark(mark: StoredMark): void {
    if (!this.marks!.add(mark)) return;
    this.log.info({ agent: mark.agent, keeps: mark.target ?? 'the last call before it', markingCall: mark.markConf }, 'thread-call recording: a call is marked');
    this.kickWaitingCalls(mark.agent);
  }

  /** The agent's calls waiting for a mark look again now. */
  private kickWaitingCalls(agent: string): void {
    for (const item of this.journal?.pending() ?? []) {
      if (item.state === 'correlated' && workOf(item).tcr?.agent === agent) this.schedule(item.key, 0);
    }
  }

  /** CDRs of `conf` were posted: captures waiting for them are decided once the conference's CDRs have settled. */
  private onCdrPosted(conf: string): void {
    const settleMs = (this.config.cdrInterface?.settleSeconds ?? 1) * 1000;
    const tcrNumber = this.config.tcr?.number;
    if (this.marks && tcrNumber !== undefined) void this.postedCdrReads.run(() => this.marksFromPostedCdrs(conf, tcrNumber));
    for (const item of this.journal?.pending() ?? []) {
      if (item.state === 'copied' && this.captureName(item.key)?.confId === conf) this.schedule(item.key, settleMs);
    }
  }

  /**
   * Marking calls among the CDRs accepted before a restart: a CDR is answered 200 once on disk, so the recorder
   * may have stopped (or been killed) before it read the mark in it, and the PBX does not post it again.
   */
  private async marksFromInbox(): Promise<void> {
    const tcr = this.config.tcr;
    if (!this.marks || !tcr || !this.cdrInterface) return;
    // Marks older than the window (and the hour the marks file keeps them) keep nothing.
    for (const conf of await this.cdrInterface.conferencesSince((tcr.markWindowSeconds + 3600) * 1000)) {
      await this.postedCdrReads.run(() => this.marksFromPostedCdrs(conf, tcr.number));
    }
  }

  /** A marking call known from its CDR (made while the recorder was down, or not seen on the SOAP link). */
  private async marksFromPostedCdrs(conf: string, tcrNumber: string): Promise<void> {
    const legs = (await this.cdrInterface?.cdrsFor(conf))?.legs ?? [];
    const marks = marksAfterCall(legs, tcrNumber);
    if (marks.length === 0) this.noteCallInRecords(conf, legs, tcrNumber);
    for (const mark of marks) {
      this.markingCalls.add(conf);
      if (this.marks!.has(conf)) {
        // Seen on the SOAP link already, perhaps without the call it keeps: the records give its time.
        if (this.marks!.complete(conf, mark.atUtc)) this.kickWaitingCalls(mark.agent);
      } else this.addMark({ markConf: conf, agent: mark.agent, atUtc: mark.atUtc, seenAt: Date.now() });
    }
  }

  /** A call's records: each user in them had this call, ending then. */
  private noteCallInRecords(conf: string, legs: readonly Cdr[], tcrNumber: string): void {
    const endUtc = callEndUtc(legs);
    for (const leg of legs) {
      if (leg.e164 === '' || leg.e164 === tcrNumber) continue;
      const calls = this.callsInRecords.get(leg.e164) ?? new Map<string, number>();
      calls.set(conf, endUtc);
      // Marks keep calls of the last minutes: a user's few latest calls are enough.
      if (calls.size > 20) calls.delete(calls.keys().next().value!);
      this.callsInRecords.set(leg.e164, calls);
    }
  }

  private onCallEnd(end: CallEndInfo): void {
    this.ongoingCalls.delete(end.confId);
    this.callEnds.set(end.confId, end.seenAt);
    // Forget old call ends (a day): they only shorten waits.
    if (this.callEnds.size > 10_000) {
      const horizon = Date.now() - 24 * 3600 * 1000;
      for (const [conf, at] of this.callEnds) if (at < horizon) this.callEnds.delete(conf);
    }
    this.ingestor?.nudge();
    // A call end whose capture never shows up is listed (not every call passes a recording gateway, so no alarm).
    const check = setTimeout(() => {
      const seen = [...(this.journal?.replay().keys() ?? [])].some((key) => key.startsWith(end.confId));
      if (!seen && !this.stopped) {
        this.counters.callEndsWithoutCapture++;
        this.log.info({ confId: end.confId, users: end.users }, 'call ended without a capture on the drive');
        void this.audit?.callWithoutCapture(end.confId, end.users).catch(() => undefined);
      }
    }, this.options.captureWaitMs ?? 120_000);
    check.unref();
    // Items waiting for their CDR are asked again now.
    for (const item of this.journal?.pending() ?? []) {
      if (item.state === 'copied' && this.captureName(item.key)?.confId === end.confId) this.schedule(item.key, 0);
    }
  }

  private async onCapture(capture: IngestedCapture): Promise<void> {
    if (!this.journal) throw new Error('service not started');
    await this.journal.record(capture.name, 'copied', { path: capture.path, sha256: capture.sha256, bytes: capture.bytes, copiedAt: Date.now() });
    this.counters.captured++;
    this.log.info({ capture: capture.name, bytes: capture.bytes }, 'capture copied');
    this.schedule(capture.name, 0);
  }

  private schedule(name: string, delayMs: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(name);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.timerDue.delete(name);
      this.run(name);
    }, delayMs);
    this.timers.set(name, timer);
    this.timerDue.set(name, Date.now() + delayMs);
  }

  /** One step pipeline per item at a time. */
  private run(name: string): void {
    if (this.running.has(name)) {
      this.schedule(name, 50);
      return;
    }
    const task = this.advance(name)
      .catch((error: unknown) => this.softwareError(name, error))
      .finally(() => {
        this.running.delete(name);
        this.checkIdle();
      });
    this.running.set(name, task);
  }

  private softwareError(name: string, error: unknown): void {
    // The journal or the index could not be written for want of space: the disk-full condition, not a software fault.
    if (isDiskFull(error)) return this.room.full(name, 'writing the journal or the index', error);
    this.raiseSoftwareAlarm(name, error instanceof Error ? error.message : String(error));
    this.log.error({ capture: name, err: error }, 'unexpected error; the step is tried again later');
    this.schedule(name, 30_000);
  }

  /** The SOFTWARE lamp goes red, with the reason among the recent errors (an unexpected error, a licence overflow). */
  private raiseSoftwareAlarm(name: string, reason: string): void {
    this.setLamp('SOFTWARE', 'red', `${name}: ${reason}`);
    this.errors.push(`${name}: ${reason}`);
    if (this.errors.length > MAX_ERRORS) this.errors.shift();
  }

  private async advance(name: string): Promise<void> {
    const journal = this.journal!;
    for (let guard = 0; guard < 8 && !this.stopped; guard++) {
      const item = journal.get(name);
      if (!item) return;
      switch (item.state) {
        case 'discovered':
          return; // the ingestor copies it
        case 'copied':
          if (!(await this.correlate(item))) return;
          break;
        case 'correlated':
          await this.convert(item);
          break;
        case 'converted':
          await this.file(item);
          break;
        case 'filed':
          await this.releaseSource(item);
          break;
        default:
          return; // finished
      }
    }
  }

  /** Ask the reporting for the call's CDRs and decide; false when the item waits (for a CDR or the reporting). */
  private async correlate(item: JournalItem): Promise<boolean> {
    const name = item.key;
    const confId = this.captureName(name)?.confId;
    if (!confId) {
      await this.quarantine(item, `not a capture name the recorder can correlate: ${new CaptureNameError(name).message}`);
      return false;
    }
    let cdrs: Cdr[];
    let from: 'cdr-interface' | 'reporting';
    // CDRs the PBX posted to our CDR interface come first; the reporting is asked when none came.
    const posted = await this.cdrInterface?.cdrsFor(confId);
    if (posted) {
      const settleMs = (this.config.cdrInterface?.settleSeconds ?? 1) * 1000;
      // The PBX posts one record at a time and keeps what it could not post while the recorder was down for its
      // next try, which its back-off puts within about as long again as the recorder was away: records that all
      // came before this start may be a part of their call's until then (a decision on a part files the call under
      // the wrong agent or discards it).
      const settledAt = Math.max(posted.lastArrival + settleMs, posted.lastArrival < this.startedAt ? this.restartSettledAt() : 0);
      if (Date.now() < settledAt) {
        this.schedule(name, settledAt - Date.now());
        return false;
      }
      cdrs = posted.legs;
      from = 'cdr-interface';
    } else {
      try {
        cdrs = await this.reporting!.cdrsForConference(confId);
        if (this.lamps.REP === 'red') this.log.info('reporting answers again');
        this.setLamp('REP', 'green');
      } catch (error) {
        if (!(error instanceof ReportingUnavailableError)) throw error;
        if (this.lamps.REP === 'green') this.log.warn({ reason: error.message }, 'reporting not available; captures wait');
        this.setLamp('REP', 'red', error.message);
        this.schedule(name, this.options.reportingRetryMs ?? 5000);
        return false;
      }
      from = 'reporting';
    }
    const licences = this.licences;
    if (licences && !licences.known) {
      // The licences are counted from the PBX's users, read when the SOAP link opens: until then the call waits.
      this.log.debug({ capture: name }, 'recording licences not counted yet (the PBX link is not up): the capture waits');
      this.schedule(name, this.options.reportingRetryMs ?? 5000);
      return false;
    }
    let decision: RecordingDecision;
    // Why a call is not recorded, for the audit trail: the rules, unless a licence or the sampling said no.
    let cause: NotRecordedCause = 'rules';
    try {
      const gatewayIds = [...this.config.pbx.gatewayIds, ...(this.pbxSerial !== undefined ? [this.pbxSerial] : [])];
      const parsedName = this.captureName(name);
      const input = {
        captureName: name,
        ...(parsedName ? { parsedName } : {}),
        cdrs,
        recordingGroup: this.config.pbx.group,
        ...(gatewayIds.length > 0 ? { gatewayIds } : {}),
        ...(this.config.tan.prefix !== undefined ? { tanPrefix: this.config.tan.prefix } : {}),
      };
      decision = decideRecording(licences ? { ...input, licensed: (number) => licences.holds(number) } : input);
      if (licences && decision.action !== 'file') {
        // Members beyond the licences are no Agents: a call only they would have been filed under is not recorded,
        // and that is the reference's licence-overflow alarm.
        const unlimited = decideRecording(input);
        const refusal = unlimited.action === 'file' && unlimited.agent !== null ? licences.refusal(unlimited.agent) : undefined;
        if (refusal) {
          decision = { ...decision, reason: `${refusal.reason}: not recorded (${decision.reason})` };
          cause = 'licence';
          this.raiseSoftwareAlarm(name, refusal.reason);
          this.log.warn({ capture: name, agent: refusal.agent }, refusal.reason);
        }
      }
    } catch (error) {
      if (error instanceof NoCdrError) return this.noCdrYet(item, error instanceof DeviceUnknownError ? error.message : undefined);
      if (error instanceof CdrConfMismatchError) {
        await this.quarantine(item, error.message);
        return false;
      }
      throw error;
    }
    // The CDR exists, so the call is over: a capture copied while it still ran (no call end seen, a pause in its
    // media longer than the settle time) has grown on the drive since. Take the whole file, not the early copy.
    let data = item.data;
    const copiedBytes = typeof data.bytes === 'number' ? data.bytes : undefined;
    if (copiedBytes !== undefined) {
      let grown;
      try {
        grown = await this.ingestor!.recopyIfGrown(name, copiedBytes);
      } catch (error) {
        if (!(error instanceof DriveError)) throw error;
        this.log.warn({ capture: name, code: error.code }, `${error.message}; tried again later`);
        this.schedule(name, this.options.reportingRetryMs ?? 5000);
        return false;
      }
      if (grown) {
        this.log.warn({ capture: name, copiedBytes, bytes: grown.bytes }, 'capture grew after it was copied (its call was still running): copied again');
        data = { ...data, path: grown.path, bytes: grown.bytes, sha256: grown.sha256 };
      }
    }
    if (this.sampler && decision.action === 'file' && decision.agent !== null) {
      // Counted by conference, before the journal records the decision: a re-decision gets the same answer.
      const verdict = this.sampler.sample(confId, decision.agent);
      if (!verdict.keep) {
        decision = { ...decision, action: 'delete', reason: `${verdict.reason} (the rules: ${decision.reason})` };
        cause = 'random';
      } else decision = { ...decision, reason: `${decision.reason}; ${verdict.reason}` };
    }
    let threadCall: CaptureWork['tcr'];
    const tcr = this.config.tcr;
    const agent = decision.agent;
    if (this.marks && tcr && decision.action === 'file' && agent !== null) {
      if (markedDuringCall(cdrs, agent, tcr.number)) {
        decision = { ...decision, reason: `${decision.reason}; thread-call recording: marked during the call` };
        threadCall = { agent, conf: confId, endUtc: callEndUtc(cdrs), marked: 'during' };
      } else {
        // It waits for a mark until the window after its end is over (the end as the SOAP link saw it, or now).
        const endedAt = this.callEnds.get(confId);
        const deadline = (endedAt ?? Date.now()) + tcr.markWindowSeconds * 1000;
        threadCall = { agent, conf: confId, endUtc: callEndUtc(cdrs), ...(endedAt !== undefined ? { endedAt } : {}), deadline };
      }
    }
    if (from === 'cdr-interface') this.counters.decidedFromCdrInterface++;
    else this.counters.decidedFromReporting++;
    await this.journal!.record(name, 'correlated', {
      ...data,
      cdrSource: from,
      decision: toJournalValue(decision),
      ...(decision.action !== 'file' ? { notRecorded: cause } : {}),
      ...(threadCall ? { tcr: toJournalValue(threadCall) } : {}),
      // The records as the reporting gave them (Report XML records or CDR-XML), kept with the recording.
      cdrXml: cdrs.map((cdr) => cdr.source ?? cdrToXml(cdr)),
    });
    this.log.info({ capture: name, action: decision.action, agent: decision.agent, rule: decision.rule }, decision.reason);
    return true;
  }

  /** No CDR: ask again on the reference's schedule; after the last trial the capture goes to quarantine with an alarm. */
  private async noCdrYet(item: JournalItem, why?: string): Promise<boolean> {
    const name = item.key;
    // A capture taken while its call still ran (the link did not know the call, e.g. just after a restart) has
    // no CDR because the call is not over: its file is still growing on the drive. That is not a failed trial (the
    // last ones are hours apart): ask again soon; once the CDR is there the whole file is copied again.
    const trial = (this.trials.get(name) ?? 0) + 1;
    const { trials, firstRetrySeconds, longRetryMinutes } = this.config.reporting;
    const copiedBytes = typeof item.data.bytes === 'number' ? item.data.bytes : undefined;
    if (copiedBytes !== undefined && trial >= firstRetrySeconds.length) {
      let onDrive: number | undefined;
      try {
        onDrive = await this.ingestor!.sizeOnDrive(name);
      } catch (error) {
        if (!(error instanceof DriveError)) throw error;
        onDrive = undefined;
      }
      if (onDrive !== undefined && onDrive > copiedBytes) {
        this.log.info({ capture: name, copiedBytes, onDrive }, 'no CDR yet and the capture is still growing: its call goes on; asking again soon');
        this.schedule(name, Math.max(5, firstRetrySeconds[0] ?? 5) * 1000);
        return false;
      }
    }
    this.trials.set(name, trial);
    if (trial >= trials) {
      this.trials.delete(name);
      if (this.config.reporting.alarmIfNoCdr) this.log.error({ capture: name, trials }, 'no CDR for this capture after every trial (alarm)');
      await this.quarantine(item, why ?? `no call record (CDR) in the reporting after ${trials} trials: no licensed user, or the CDR was lost`);
      return false;
    }
    const delay = trial <= firstRetrySeconds.length ? firstRetrySeconds[trial - 1]! * 1000 : (this.options.longRetryMs ?? longRetryMinutes * 60_000);
    this.log.info({ capture: name, trial, nextInMs: delay }, 'no CDR yet; asking again later');
    this.schedule(name, delay);
    return false;
  }

  private async convert(item: JournalItem): Promise<void> {
    const name = item.key;
    const work = workOf(item);
    const decision = required(name, work, 'decision');
    const capturePath = required(name, work, 'path');
    if (decision.action !== 'file') {
      const cause = item.data.notRecorded;
      await this.discard(item, decision.reason, typeof cause === 'string' && isNotRecordedCause(cause) ? cause : 'rules');
      return;
    }
    const threadCall = work.tcr;
    if (this.marks && threadCall && threadCall.marked !== 'during' && !(await this.markedAfterCall(item, threadCall))) return;
    const { recording } = this.config;
    if (recording.format === 'pcap') {
      await this.journal!.record(name, 'converted', { ...item.data, output: capturePath, codec: '', durationMs: 0 });
      return;
    }
    const outDir = join(this.config.storage.workDir, 'out', name);
    // The queue clears the folder itself, and only when it starts a new job (an earlier run's may still write there).
    if (!this.queue) await rm(outDir, { recursive: true, force: true });
    const parsed = this.captureName(name);
    // Paths and passphrase, not a keyring: they cross into worker threads.
    const keys = serviceConvertKeys(this.config.encryption);
    const options: ConvertOptions = {
      outDir,
      format: recording.format,
      mix: recording.mix,
      encoding: recording.encoding,
      kbps: recording.format === 'opus' ? recording.opusBitrate : recording.mp3Bitrate,
      mp3Encoder: recording.mp3Encoder,
      // A phone's own capture (v11 name with a device) is mirrored against a gateway's.
      channels: { recordedBy: parsed?.device !== undefined ? 'phone' : recording.recordedBy, oneCall: true, ...(recording.swapChannels ? { swap: true } : {}) },
      // A sealed working copy is opened with the configured keys, and its recording is sealed as it is written.
      ...(keys ? { encryption: keys } : {}),
    };
    let report: FileReport;
    try {
      report = this.queue
        ? await this.queue.convert(name, { input: capturePath, outDir, options: withoutKeys(options), sealed: options.encryption !== undefined }, this.stopping.signal)
        : this.pool
          ? await this.pool.convert(capturePath, options)
          : await convertCapture(capturePath, options);
    } catch (error) {
      // Stopping: the job stays in the queue (a worker may be on it) and the step runs again at the next start.
      if (this.stopped) return;
      if (!(error instanceof ClusterUnavailableError)) throw error;
      // The capture is safe (working copy and drive): its conversion is asked for again when Redis answers.
      if (!this.queueAway) this.log.warn({ reason: error.message }, 'the job queue is not reachable: conversions wait');
      this.queueAway = true;
      this.schedule(name, this.options.reportingRetryMs ?? 5000);
      return;
    }
    if (this.queueAway && this.queue) {
      this.queueAway = false;
      this.log.info('the job queue answers again');
    }
    const output = [...report.outputs].sort((a, b) => b.durationSeconds - a.durationSeconds)[0];
    if (!output && isDiskFull(report.error)) {
      // No room to write the recording: the capture is fine and waits (on the drive too) until there is.
      this.room.full(name, 'converting', report.error);
      return;
    }
    if (!output) {
      await this.quarantine(item, `conversion failed: ${report.error ?? 'no recording produced'}`);
      return;
    }
    this.room.hasRoom();
    if (report.outputs.length > 1) this.log.warn({ capture: name, calls: report.outputs.length }, 'capture holds several calls; the longest is filed');
    await this.journal!.record(name, 'converted', {
      ...item.data,
      output: output.path,
      codec: output.codec,
      durationMs: Math.round(output.durationSeconds * 1000),
    });
  }

  /**
   * When the records a PBX held back while the recorder was away have had time to arrive: its retries back off
   * (doubling), so the next one can come as long after the recorder is back as the outage lasted; twice that is
   * waited (at most a minute), counted from when the CDR interface listens again. No wait on a first start.
   */
  private restartSettledAt(): number {
    const back = this.listeningAt ?? this.startedAt;
    if (this.lastRunAt === 0) return back;
    return back + Math.min(RESTART_SETTLE_MAX_MS, 2 * Math.max(0, back - this.lastRunAt));
  }

  /**
   * Thread-call recording: whether a call waiting for a mark has one. Unmarked, it waits until its window is over
   * (false, looked at again then), and is discarded after it (false).
   */
  private async markedAfterCall(item: JournalItem, call: NonNullable<CaptureWork['tcr']>): Promise<boolean> {
    const windowSeconds = this.config.tcr!.markWindowSeconds;
    const mark = this.marks!.markFor(
      { conf: call.conf, agent: call.agent, endUtc: call.endUtc, ...(call.endedAt !== undefined ? { endedAt: call.endedAt } : {}) },
      (agent, afterUtc, untilUtc) => this.laterCallOf(call.conf, agent, afterUtc, untilUtc),
    );
    if (mark) {
      this.log.info({ capture: item.key, agent: call.agent, markingCall: mark.markConf }, 'thread-call recording: marked after the call; kept');
      return true;
    }
    // A mark made while the recorder was down reaches it only when the PBX posts the marking call's record again,
    // after the restart: a window that was open during the outage stays open until that has had time to happen.
    const deadline = call.deadline ?? 0;
    const wait = Math.max(deadline, deadline > this.lastRunAt ? this.restartSettledAt() : 0) - Date.now();
    if (wait > 0) {
      this.log.debug({ capture: item.key, agent: call.agent, waitMs: wait }, 'thread-call recording: waiting for a mark');
      this.schedule(item.key, wait + 50);
      return false;
    }
    await this.discard(item, `thread-call recording: not marked within ${windowSeconds} s of the call's end`, 'tcr-unmarked');
    return false;
  }

  /**
   * Whether `agent` has another call than `conf` that ended in (afterUtc, untilUtc]: one waiting for or kept by
   * thread-call recording, or one in the records the CDR interface received (its capture may be undecided yet).
   */
  private laterCallOf(conf: string, agent: string, afterUtc: number, untilUtc: number): boolean {
    const inRange = (endUtc: number): boolean => endUtc > afterUtc && endUtc <= untilUtc;
    for (const [other, endUtc] of this.callsInRecords.get(agent) ?? []) if (other !== conf && inRange(endUtc)) return true;
    for (const item of this.journal?.replay().values() ?? []) {
      const call = workOf(item).tcr;
      if (call?.agent === agent && call.conf !== conf && inRange(call.endUtc)) return true;
    }
    return false;
  }

  private async file(item: JournalItem): Promise<void> {
    const name = item.key;
    const work = workOf(item);
    const decision = required(name, work, 'decision');
    // A phone writes one capture per call leg: each is its own recording, so the id carries the device and counter.
    const callId = recordingCallIdOf(name, this.captureName(name));
    const output = required(name, work, 'output');
    let filed;
    try {
      filed = await this.store!.file({
        meta: {
          callId,
          start: new Date(decision.start),
          secondsToAnswer: decision.secondsToAnswer,
          direction: decision.direction === 'i' ? 'in' : 'out',
          internal: decision.agent ?? '',
          ...(decision.agentName ? { internalName: decision.agentName } : {}),
          external: decision.external ?? '',
          agentRule: decision.rule,
          ...(decision.tan ? { tan: decision.tan } : {}),
          ...(decision.executive ? { executive: true } : {}),
        },
        audioPath: output,
        format: this.config.recording.format,
        mix: this.config.recording.mix,
        ...(work.codec ? { codec: work.codec } : {}),
        ...(work.durationMs !== undefined && work.durationMs > 0 ? { durationMs: work.durationMs } : {}),
        cdrXml: work.cdrXml ?? [],
      });
      this.room.hasRoom();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (isDiskFull(error)) {
        this.room.full(name, 'filing', error);
        return;
      }
      if (code === 'EACCES' || code === 'EROFS' || code === 'EIO') {
        this.room.notWritable();
        this.log.error({ capture: name, code }, 'storage not writable; filing waits');
        this.schedule(name, 30_000);
        return;
      }
      throw error;
    }
    await this.audit!.callRecorded(this.captureName(name)?.confId ?? '', name, filed.name, decision.agent);
    await this.journal!.record(name, 'filed', { ...item.data, recording: filed.name });
    this.counters.filed++;
    this.noteBackup(filed.name, filed.backup);
    const confId = this.captureName(name)?.confId;
    const endSeen = confId ? this.callEnds.get(confId) : undefined;
    const latencyMs = Date.now() - (endSeen ?? work.copiedAt ?? Date.now());
    this.log.info({ capture: name, recording: filed.name, latencyMs, alreadyFiled: filed.alreadyFiled }, 'recording filed');
    try {
      this.options.onFiled?.({ capture: name, recording: filed, decision, latencyMs });
    } catch (error) {
      this.log.warn({ err: error }, 'onFiled listener failed');
    }
  }

  // A release the service's stop cuts short leaves the item where it is: the next start deletes the capture then.
  private async releaseSource(item: JournalItem): Promise<void> {
    // With a bucket, the capture leaves the drive once its recording is there (the drive-delete rule).
    if (this.store!.bucket && !(await this.moveToBucket(item))) return;
    if (!(await this.ingestor!.release(item.key, this.config.drive.graceSeconds * 1000))) return;
    await this.journal!.record(item.key, 'source-deleted', item.data);
    await this.cleanWork(item);
  }

  /** Move a filed recording to the bucket; false (tried again later, DISK red) when the bucket refuses. */
  private async moveToBucket(item: JournalItem): Promise<boolean> {
    const recording = typeof item.data.recording === 'string' ? item.data.recording : undefined;
    if (recording === undefined) return true; // filed by a build before buckets: it stays in the tree
    try {
      await this.store!.moveToBucket(recording);
    } catch (error) {
      if (!(error instanceof BucketError)) throw error;
      const trial = (this.bucketTrials.get(item.key) ?? 0) + 1;
      this.bucketTrials.set(item.key, trial);
      // 1 s, 2 s, 4 s … up to the long retry: an outage of minutes is met within seconds of its end.
      const delay = Math.min(1000 * 2 ** (trial - 1), this.options.longRetryMs ?? 60_000);
      if (this.bucketDown === undefined) this.log.error({ recording, bucket: this.store!.bucket!.where, reason: error.message }, 'the recordings bucket cannot be reached: recordings wait in the store, captures on the drive');
      this.bucketDown = `the recordings bucket ${this.store!.bucket!.where} cannot be reached: ${error.message}`;
      void this.monitor?.tick();
      this.schedule(item.key, delay);
      return false;
    }
    this.bucketTrials.delete(item.key);
    if (this.bucketDown !== undefined) {
      this.bucketDown = undefined;
      this.log.info({ bucket: this.store!.bucket!.where }, 'the recordings bucket answers again');
      void this.monitor?.tick();
      // Recordings that waited for the bucket go now, not at their next back-off.
      for (const waiting of this.journal?.pending() ?? []) if (waiting.state === 'filed' && waiting.key !== item.key) this.schedule(waiting.key, 0);
    }
    return true;
  }

  private async discard(item: JournalItem, reason: string, cause: NotRecordedCause): Promise<void> {
    if (!(await this.ingestor!.release(item.key, this.config.drive.graceSeconds * 1000))) return;
    await this.audit!.callNotRecorded(this.captureName(item.key)?.confId ?? '', item.key, cause, reason);
    await this.journal!.record(item.key, 'discarded', { reason });
    this.counters.discarded++;
    await this.cleanWork(item);
  }

  /** Keep what cannot be filed, with the reason, in the store's quarantine; then take it off the drive. */
  private async quarantine(item: JournalItem, reason: string): Promise<void> {
    const path = workOf(item).path;
    let kept: string | undefined;
    if (path && (await exists(path))) {
      try {
        kept = (await this.store!.quarantine(path, reason)).name;
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        // Not even room to keep it aside: it stays where it is (drive and working copy) until there is.
        this.room.full(item.key, 'quarantining', error);
        return;
      }
    }
    // The drive's file goes only once its copy is kept; without a working copy the original stays for an operator.
    if (kept) {
      if (!(await this.ingestor!.release(item.key, this.config.drive.graceSeconds * 1000))) return;
    } else this.log.error({ capture: item.key }, 'no working copy to quarantine: the capture is left on the drive');
    await this.audit!.captureQuarantined(this.captureName(item.key)?.confId, item.key, reason, kept);
    await this.journal!.record(item.key, 'quarantined', { reason, ...(kept ? { kept } : { leftOnDrive: true }) });
    this.counters.quarantined++;
    this.log.warn({ capture: item.key, kept, reason }, 'capture quarantined');
    await this.cleanWork(item);
  }

  private async cleanWork(item: JournalItem): Promise<void> {
    const path = workOf(item).path;
    if (path) await rm(path, { force: true });
    await rm(join(this.config.storage.workDir, 'out', item.key), { recursive: true, force: true });
    this.trials.delete(item.key);
    this.parsedNames.delete(item.key);
  }
}

/** The longest wait, after a restart, for the records the PBX held back while the recorder was down. */
const RESTART_SETTLE_MAX_MS = 60_000;

/** How often, and over how long a past, the service reconciles calls against recordings. */
const RECONCILE_INTERVAL_MS = 3600 * 1000;
const RECONCILE_SPAN_MS = 24 * 3600 * 1000;
const RECONCILE_CLOCK_MARGIN_MS = 3600 * 1000;

/** How often retention (recordings, quarantine) runs while the service is up. */
const HOUSEKEEPING_MS = 24 * 3600 * 1000;

/** An AbortController whose signal takes any number of listeners (Node warns past 10, meant for leaks). */
function unlimitedAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
