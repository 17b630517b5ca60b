// The recorder's configuration schema (zod v4). Every object is strict: an unknown key is an error, so a typo
// never passes silently. All numbers are whole numbers.
import { isIP } from 'node:net';
import { AUDIO_MIXES, DEFAULT_MP3_KBPS, DEFAULT_OPUS_KBPS, MP3_BITRATES, MP3_ENCODERS, OPUS_BITRATES, RECORDING_FORMATS, WAV_ENCODINGS, mp3BitrateProblem } from '../../domain/index.js';
import { z } from 'zod';
import { checkTimeZone } from '../util/index.js';

const int = (min: number, max: number) => z.int().min(min).max(max);
const text = z.string().min(1);
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const timeZone = z
  .string()
  .min(1)
  .refine(
    (zone) => {
      try {
        checkTimeZone(zone);
        return true;
      } catch {
        return false;
      }
    },
    { error: "expected 'local', 'utc' or an IANA time zone name such as 'Europe/Berlin'" },
  );

/** A password or other secret: plain, or "enc:…" made by encryptSecret with the recorder's keyring. */
const secret = z.string();

export const RECORDING_MODES = ['std', 'tcr', 'random'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const pbx = z.strictObject({
  url: httpUrl,
  standbyUrl: httpUrl.optional(),
  username: text,
  password: secret,
  /** Name of the SOAP user object in the PBX. */
  soapUser: text.default('SOAP'),
  /** Group of the agents (and the SOAP user) to record. */
  group: text.default('Recording'),
  /**
   * Hardware ids of the gateways that record with v11 names (`<confId>-<id>-<n>.pcap`), besides the PBX's own (its
   * serial number, learnt over SOAP). A v11 capture whose id is neither one of these nor named by a CDR is a phone's
   * whose user has no reporting licence.
   */
  gatewayIds: z.array(z.string().regex(/^[0-9A-Za-z]{1,32}$/, { error: 'expected a device id: 1..32 letters or digits' })).default([]),
});

const reporting = z.strictObject({
  url: httpUrl,
  standbyUrl: httpUrl.optional(),
  username: text,
  password: secret,
  /** How often a call without CDR is asked for before it is given up (the reference: 5…9999). */
  trials: int(5, 9999).default(5),
  /** Delays of the first retries after a call end without CDR. */
  firstRetrySeconds: z.array(int(1, 3600)).max(10).default([5, 5]),
  /** Then ask again at this interval. */
  longRetryMinutes: int(1, 24 * 60).default(120),
  /** Raise an alarm when a call has no CDR ticket. */
  alarmIfNoCdr: z.boolean().default(true),
  /** The PBX's name in the reporting: its period report (report.php from/to) needs it; reconciliation asks for one. */
  pbx: z.string().min(1).max(256).optional(),
});

const driveCommon = {
  /** Wait after a capture is complete before touching it (the reference waits 2 s). */
  graceSeconds: int(0, 600).default(2),
  pollSeconds: int(1, 3600).default(5),
};

const drive = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('webdav'),
    url: httpUrl,
    /**
     * The standby PBX's drive (the reference's "follow Standby/Active PBX" of the PCAP panel): read beside the
     * active's, the PCAP lamp following the PBX the SOAP link is on. Leave it out for an external WebDAV server.
     */
    standbyUrl: httpUrl.optional(),
    username: z.string().default(''),
    password: secret.default(''),
    ...driveCommon,
  }),
  z.strictObject({
    kind: z.literal('local'),
    path: text,
    /** The standby PBX's capture folder (mounted), read beside `path` as `standbyUrl` is for WebDAV. */
    standbyPath: text.optional(),
    ...driveCommon,
  }),
]);

/**
 * An S3-compatible bucket as the recordings' home (AWS S3, MinIO, Ceph, …): each recording is filed in `root`
 * first and moved to the bucket once filed; the index and the quarantine stay in `root`. The secret key may be
 * "enc:…".
 */
const bucket = z
  .strictObject({
    /** The server's URL (http or https); absent: AWS S3 in `region`. */
    endpoint: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL, e.g. https://s3.example.net' }).optional(),
    region: text.default('us-east-1'),
    name: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected a bucket name: 3…63 of a-z 0-9 . - (starting and ending with a letter or digit)' }),
    /** Key prefix of this recorder's objects, e.g. a tenant's folder in a shared bucket. */
    prefix: z
      .string()
      .regex(/^([A-Za-z0-9_.-]+\/)*$/, { error: 'expected folders ending in "/" (of A-Z a-z 0-9 _ . -), e.g. "tenant-a/", or ""' })
      .default(''),
    accessKeyId: text,
    secretAccessKey: secret.pipe(z.string().min(1)),
    /** Path-style addresses (server/bucket/key), which most S3-compatible servers need; default: on with an endpoint. */
    forcePathStyle: z.boolean().optional(),
    /** Write every object under object lock (WORM) for this long; the bucket must have object lock enabled. */
    objectLock: z.strictObject({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), days: int(1, 36500) }).optional(),
  })
  .transform((value) => ({ ...value, forcePathStyle: value.forcePathStyle ?? value.endpoint !== undefined }));

/**
 * A retention policy: recordings it matches (agents' numbers with * and ?, direction, with or without a TAN) are
 * kept `months` or `days`; the first policy that matches applies, storage.retentionMonths to the rest.
 */
const retentionPolicy = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, { error: 'expected 1…40 of A-Z a-z 0-9 _ . -' }),
    months: int(1, 1200).optional(),
    days: int(1, 36500).optional(),
    agents: z.array(z.string().regex(/^[0-9A-Za-z*?#+]{1,48}$/, { error: 'expected a number, with * (any digits) and ? (one digit)' })).min(1).optional(),
    direction: z.enum(['in', 'out']).optional(),
    withTan: z.boolean().optional(),
    /** Kept by law for its period: erasure requests are refused until it is over. */
    mandatory: z.boolean().optional(),
  })
  .refine((policy) => (policy.months === undefined) !== (policy.days === undefined), { error: 'give exactly one of months and days' })
  .refine((policy) => policy.name !== 'default', { error: '"default" names storage.retentionMonths: choose another name', path: ['name'] });

const storage = z.strictObject({
  root: text,
  bucket: bucket.optional(),
  backup: text.optional(),
  /** Working copies and conversion output; default ROOT/REC as in the reference. */
  workDir: text.optional(),
  /** Delete recordings older than this many months (absent: keep them). */
  retentionMonths: int(1, 1200).optional(),
  /** Retention by agent, direction and TAN before the default; see retentionPolicy. */
  retentionPolicies: z
    .array(retentionPolicy)
    .default([])
    .refine((policies) => new Set(policies.map((p) => p.name)).size === policies.length, { error: 'two retention policies have the same name' }),
  /** Four-eyes for legal holds: a hold is released only by someone other than who placed it. */
  fourEyesHolds: z.boolean().default(false),
  /** Delete quarantined captures (and their reasons) this many days after they were set aside. */
  quarantineDays: int(1, 36500).default(90),
  /** The DISK lamp goes red when the store's file system has less free than this (MB), before it is full. */
  minFreeMegabytes: int(0, 100_000_000).default(1024),
  timezone: timeZone.default('local'),
  /** The service journal and the search index; default WORKDIR/journal.jsonl and ROOT/TMP/index.sqlite. */
  journalPath: text.optional(),
  indexPath: text.optional(),
  /** The service's audit trail (call outcomes, retention deletions, starts); default ROOT/TMP/service-audit.log. */
  auditPath: text.optional(),
});

const recording = z.strictObject({
  format: z.enum(RECORDING_FORMATS).default('wav'),
  mix: z.enum(AUDIO_MIXES).default('stereo'),
  /** G.711 in the WAV as the reference's recorder stores it (~1 MB per minute); the converter's own default is pcm16. */
  encoding: z.enum(WAV_ENCODINGS).default('alaw'),
  mp3Bitrate: z.literal([...MP3_BITRATES]).default(DEFAULT_MP3_KBPS),
  /** The MP3 encoder: LAME compiled to WebAssembly (fast), or lamejs (pure JavaScript). */
  mp3Encoder: z.enum(MP3_ENCODERS).default('lame-wasm'),
  /** Opus bit rate for both channels together (format "opus"). */
  opusBitrate: z.literal([...OPUS_BITRATES]).default(DEFAULT_OPUS_KBPS),
  recordedBy: z.enum(['gateway', 'phone']).default('gateway'),
  swapChannels: z.boolean().default(false),
  mode: z.enum(RECORDING_MODES).default('std'),
});

const encryption = z.strictObject({
  enabled: z.boolean().default(false),
  /** Key files (raw keys or passphrase key definitions); the first is current unless currentKeyId says otherwise. */
  keyFiles: z.array(text).default([]),
  currentKeyId: z
    .string()
    .regex(/^[0-9a-f]{16}$/, { error: 'expected a key id of 16 lower-case hex digits' })
    .optional(),
  encryptAudio: z.boolean().default(true),
  /**
   * Seal each recording under a data key of its own (wrapped by the system key, kept in data-keys beside the index), so that
   * erasing it destroys the key and every copy becomes unreadable (crypto-shredding). Needs encryption.
   */
  perRecordingKeys: z.boolean().default(false),
  encryptSidecar: z.boolean().default(true),
  /** Environment variable holding the passphrase of passphrase-defined keys. */
  passphraseEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })
    .default('RECORDER_PASSPHRASE'),
});

/**
 * Random recording (mode = "random"): of the calls the rules would record, keep every `systemEvery`-th in the
 * system and every `agentEvery`-th of each agent (1: no sampling on that count).
 */
const random = z.strictObject({
  systemEvery: int(1, 1000).default(1),
  agentEvery: int(1, 1000).default(1),
});

/**
 * Recording licences installed in the PBX (its SOAP interface does not tell them): the first `recording` members
 * of the recording group, in the PBX's order, are recorded; calls of the others are not (SOFTWARE alarm).
 */
const licences = z.strictObject({
  recording: int(0, 1_000_000),
});

const dialString = z.string().regex(/^[0-9*#]{1,16}$/, { error: 'expected 1…16 of 0-9 * #' });

const tan = z.strictObject({
  /** Number of the PBX object (TAN.xml) the agent dials before the 6-digit TAN. */
  prefix: dialString.optional(),
});

/**
 * Thread-call recording (mode = "tcr"): only marked calls are kept. An agent marks a call during it (the phone's
 * record key calls the TCR object) or after it by calling the TCR object, which keeps the agent's last call.
 */
const tcr = z.strictObject({
  /** Number of the PBX object (TCRec.xml) that marks calls. */
  number: dialString,
  /** How long after a call's end a mark still keeps it, seconds (the reference's example: 5 minutes). */
  markWindowSeconds: int(1, 86_400).default(300),
});

const log = z.strictObject({
  level: z.enum(LOG_LEVELS).default('info'),
  /** Also write the log (JSON lines) to files here, rolled daily and at `rotateMegabytes`, the newest `keepFiles` kept. */
  dir: text.optional(),
  rotateMegabytes: int(1, 10_000).default(20),
  keepFiles: int(1, 10_000).default(14),
});

/** An IPv4/IPv6 address or a CIDR block (10.0.0.0/8, fd00::/8). */
const addressOrBlock = z.string().refine(
  (value) => {
    const [address, bits, extra] = value.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || extra !== undefined) return false;
    if (bits === undefined) return true;
    return /^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  },
  { error: 'expected an IP address or a CIDR block such as 10.0.0.0/8' },
);

const server = z
  .strictObject({
    host: text.default('127.0.0.1'),
    port: int(0, 65535).default(8080),
    /** PEM certificate (chain) and private key files: the player serves HTTPS (and HSTS) with them. */
    tlsCert: text.optional(),
    tlsKey: text.optional(),
    /** Mark session cookies Secure even without TLS here (default: with TLS or behind a trusted HTTPS proxy). */
    secureCookies: z.boolean().optional(),
    /**
     * Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDR blocks). Others'
     * headers are ignored: a client cannot pick the address the login limit counts.
     */
    trustProxy: z.array(addressOrBlock).default([]),
    /** Every listening (play) needs a reason, kept in the audit trail (the web player asks for it). */
    reasonOnPlay: z.boolean().default(false),
    /** Four-eyes: these actions need a second supervisor's or compliance officer's approval first. */
    fourEyes: z.array(z.enum(['export', 'erase'])).default([]),
  })
  .refine((value) => (value.tlsCert === undefined) === (value.tlsKey === undefined), { error: 'tlsCert and tlsKey go together: give both or neither', path: ['tlsKey'] });

/**
 * The master alarm and its mail (the reference, "Alarms"): armed `graceSeconds` after the start; each lamp change
 * and each alarm is mailed to `to` through an SMTP server, at most one mail per `minIntervalSeconds` (the changes
 * in between come together in the next).
 */
const alarm = z.strictObject({
  graceSeconds: int(0, 3600).default(20),
  mail: z
    .strictObject({
      host: text,
      port: int(1, 65535).default(587),
      /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
      secure: z.boolean().default(false),
      /** Refuse to send without TLS (STARTTLS required). */
      requireTls: z.boolean().default(false),
      username: text.optional(),
      password: secret.optional(),
      from: text,
      to: z.array(text).min(1, { error: 'at least one recipient' }),
      /** Subject prefix, e.g. the site's name (default: "Recorder <host name>"). */
      subjectPrefix: text.optional(),
      minIntervalSeconds: int(0, 86_400).default(300),
      /** Also mail when a lamp goes green again (the reference mails alarms only). */
      mailRecovery: z.boolean().default(true),
    })
    .refine((mail) => (mail.username === undefined) === (mail.password === undefined), { error: 'username and password go together', path: ['password'] })
    .optional(),
});

/** The service's own HTTP endpoint: GET /status (JSON) and GET /metrics (Prometheus), on loopback by default. */
const status = z.strictObject({
  host: text.default('127.0.0.1'),
  port: int(0, 65535),
});

/** "host:port" (an IPv6 host in brackets: "[::1]:4444"). */
const hostAndPort = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, { error: 'expected host:port, e.g. 10.0.0.5:4444' })
  .transform((value, context) => {
    const colon = value.lastIndexOf(':');
    const host = value.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(value.slice(colon + 1));
    if (port < 1 || port > 65535) {
      context.issues.push({ code: 'custom', message: `port ${port} is not 1..65535`, input: value });
      return z.NEVER;
    }
    return { host, port };
  });

/**
 * The player link (the reference, "Interfacing to external applications"): the recorder connects out to one
 * AppServer, tells it of recorded calls (FRST/LAST) and passes its commands to the named players; the URL interface
 * on 127.0.0.1 drives this machine's players. Run by `recorder serve`, where the players are.
 */
const player = z.strictObject({
  appServer: hostAndPort.optional(),
  /** RecKA after this many seconds without a command from the AppServer. */
  keepAliveSeconds: int(1, 3600).default(30),
  /** FRST/LAST records kept while the AppServer is unreachable (the newest are dropped beyond). */
  bufferRecords: int(0, 10_000).default(25),
  /** The URL interface's port on 127.0.0.1 (the reference's player used 9090); absent: off. */
  urlPort: int(1, 65535).optional(),
});

/**
 * The recorder as one of the PBX's CDR interfaces (beyond the reference): the PBX posts each call's CDR-XML
 * here at the call's end, so the rules decide without waiting for the reporting. The reporting query stays the
 * fallback (a CDR lost, a start-up backlog).
 */
const cdrInterface = z.strictObject({
  host: text.default('127.0.0.1'),
  port: int(0, 65535),
  /** The path the PBX posts to (its CDR interface's Path). */
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\/-]{0,200}$/, { error: 'expected an absolute URL path' })
    .default('/cdr'),
  /** The PBX authenticates with these (HTTP Basic): the interface refuses anonymous posts. */
  username: text,
  password: z.string().min(8, { error: 'at least 8 characters' }),
  /** After a conference's last CDR arrived, wait this long for the CDRs of its other objects before deciding. */
  settleSeconds: int(0, 60).default(1),
  /** CDRs no capture asked for (calls not recorded) are dropped after this long. */
  keepHours: int(1, 24 * 90).default(48),
});

/**
 * Scaling out (BullMQ on Redis): the service's conversions become jobs that `recorder worker` processes run, on
 * this machine or others that see the store's work folder at the same path. Absent: conversions run in the
 * service. The password goes in `password` (it may be "enc:…"), never in the URL, so that it is never logged.
 */
const cluster = z.strictObject({
  redis: z
    .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL, e.g. redis://10.0.0.7:6379/0' })
    .refine((url) => !/^rediss?:\/\/[^/]*@/.test(url), { error: 'no credentials in the URL: give the password as cluster.password' })
    .refine((url) => /^\/?\d{0,2}$/.test(new URL(url).pathname), { error: 'the path is the database number (0..15), e.g. redis://host:6379/0' }),
  password: secret.optional(),
  /** Name of the job queue (and of its keys in Redis): one per recorder platform sharing a Redis. */
  queue: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected 1…64 of A-Z a-z 0-9 _ -' })
    .default('recorder'),
  /** Tries of one conversion (a worker that dies mid-job counts as one) before its capture is quarantined. */
  attempts: int(1, 100).default(5),
  /** A job whose worker has not been heard of for this long is given to another worker. */
  lockSeconds: int(2, 3600).default(30),
});

/**
 * Every object is strict: a key this build does not know is refused, never accepted and ignored (a setting that
 * does nothing would let an administrator believe it does).
 */
export const recorderConfigSchema = z
  .strictObject({
    /**
     * The tenant this configuration records, on a platform that records several (`recorder run -c A -c B …`): its
     * name in logs, status and alarm mails. Default: the configuration file's name.
     */
    tenant: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, { error: 'expected 1…32 of a-z 0-9 _ - (starting with a letter or digit)' })
      .optional(),
    pbx,
    reporting,
    cdrInterface: cdrInterface.optional(),
    drive,
    storage,
    recording: recording.prefault({}),
    encryption: encryption.prefault({}),
    tan: tan.prefault({}),
    random: random.optional(),
    tcr: tcr.optional(),
    licences: licences.optional(),
    log: log.prefault({}),
    server: server.prefault({}),
    player: player.optional(),
    alarm: alarm.optional(),
    status: status.optional(),
    cluster: cluster.optional(),
  })
  .superRefine((config, context) => {
    if (config.recording.mode === 'random' && (config.random === undefined || (config.random.systemEvery === 1 && config.random.agentEvery === 1))) {
      context.addIssue({ code: 'custom', path: ['random'], message: 'mode is "random": set random.systemEvery and/or random.agentEvery above 1 (with both at 1 every call is kept: use mode "std")' });
    }
    if (config.recording.mode === 'tcr' && config.tcr === undefined) {
      context.addIssue({ code: 'custom', path: ['tcr', 'number'], message: 'mode is "tcr": give the number of the TCR object agents call to keep their last call ([tcr] number)' });
    }
    if (config.tcr !== undefined && config.recording.mode !== 'tcr') {
      context.addIssue({ code: 'custom', path: ['tcr'], message: `[tcr] is set but recording.mode is "${config.recording.mode}": set mode = "tcr" or remove [tcr]` });
    }
    if (config.random !== undefined && config.recording.mode !== 'random') {
      context.addIssue({ code: 'custom', path: ['random'], message: `[random] is set but recording.mode is "${config.recording.mode}": set mode = "random" or remove [random]` });
    }
    const bitrateProblem = config.recording.format === 'mp3' ? mp3BitrateProblem(config.recording.mp3Bitrate, config.recording.mp3Encoder) : undefined;
    if (bitrateProblem) context.addIssue({ code: 'custom', path: ['recording', 'mp3Bitrate'], input: config.recording.mp3Bitrate, message: bitrateProblem });
    if (config.recording.format === 'pcap' && config.recording.mix !== 'stereo') {
      context.addIssue({ code: 'custom', path: ['recording', 'mix'], input: config.recording.mix, message: "a PCAP recording keeps both sides: mix must be 'stereo' with format 'pcap'" });
    }
    if (config.encryption.enabled && config.encryption.keyFiles.length === 0) {
      context.addIssue({ code: 'custom', path: ['encryption', 'keyFiles'], message: 'encryption is enabled: give at least one key file' });
    }
  });

export type RecorderConfigInput = z.input<typeof recorderConfigSchema>;
/** The configuration after validation, defaults filled in and paths resolved. */
export type RecorderConfig = z.output<typeof recorderConfigSchema> & {
  readonly storage: { readonly workDir: string; readonly journalPath: string; readonly indexPath: string; readonly auditPath: string };
};
