import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Key, Keyring, generateKeyFile } from '../../../src/platform/crypto/index.js';
import { ConfigError, REDACTED, decryptSecret, describeConfig, encryptSecret, loadConfig, validateConfig } from '../../../src/platform/config/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'recorder-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TOML = `
[pbx]
url = "http://127.0.0.1:8080"
username = "admin"
password = "pbx-secret-1"

[reporting]
url = "https://127.0.0.1:8443/reporting"
username = "rep"
password = "rep-secret-2"
trials = 20

[drive]
kind = "webdav"
url = "http://127.0.0.1:8081/DRIVE/CF0/REC"
password = "dav-secret-3"

[storage]
root = "rec"
retentionMonths = 24
timezone = "Europe/Berlin"

[recording]
format = "mp3"
mix = "mono"
`;

function minimal(): Record<string, unknown> {
  return {
    pbx: { url: 'http://127.0.0.1:1', username: 'u', password: 'p' },
    reporting: { url: 'http://127.0.0.1:2', username: 'u', password: 'p' },
    drive: { kind: 'local', path: '/srv/pcap' },
    storage: { root: '/srv/rec' },
  };
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function issuesOf(value: unknown): string[] {
  try {
    validateConfig(value, 'recorder.json', '/base');
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('loads TOML with defaults filled in and paths resolved against the file', async () => {
    const config = await loadConfig(write('recorder.toml', TOML));
    expect(config.pbx).toEqual({ url: 'http://127.0.0.1:8080', username: 'admin', password: 'pbx-secret-1', soapUser: 'SOAP', group: 'Recording', gatewayIds: [] });
    expect(config.reporting).toMatchObject({ trials: 20, firstRetrySeconds: [5, 5], longRetryMinutes: 120, alarmIfNoCdr: true });
    expect(config.drive).toEqual({ kind: 'webdav', url: 'http://127.0.0.1:8081/DRIVE/CF0/REC', username: '', password: 'dav-secret-3', pollSeconds: 5, graceSeconds: 2 });
    expect(config.storage).toEqual({
      root: join(dir, 'rec'),
      workDir: join(dir, 'rec', 'REC'),
      journalPath: join(dir, 'rec', 'REC', 'journal.jsonl'),
      indexPath: join(dir, 'rec', 'TMP', 'index.sqlite'),
      auditPath: join(dir, 'rec', 'TMP', 'service-audit.log'),
      retentionMonths: 24,
      retentionPolicies: [],
      fourEyesHolds: false,
      quarantineDays: 90,
      minFreeMegabytes: 1024,
      timezone: 'Europe/Berlin',
    });
    expect(config.recording).toEqual({ format: 'mp3', mix: 'mono', encoding: 'alaw', mp3Bitrate: 32, mp3Encoder: 'lame-wasm', opusBitrate: 16, recordedBy: 'gateway', swapChannels: false, mode: 'std' });
    expect(config.encryption).toEqual({ enabled: false, keyFiles: [], encryptAudio: true, encryptSidecar: true, passphraseEnv: 'RECORDER_PASSPHRASE', perRecordingKeys: false });
    expect(config.log.level).toBe('info');
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8080, trustProxy: [], reasonOnPlay: false, fourEyes: [] });
  });

  it('loads JSON the same way', async () => {
    const config = await loadConfig(write('recorder.json', JSON.stringify(minimal())));
    expect(config.drive).toEqual({ kind: 'local', path: '/srv/pcap', pollSeconds: 5, graceSeconds: 2 });
    expect(config.storage.workDir).toBe('/srv/rec/REC');
    expect(config.reporting.trials).toBe(5);
  });

  it('reports each kind of bad value with its path and reason', () => {
    const bad = (patch: (c: Record<string, any>) => void): string[] => {
      const c = minimal() as Record<string, any>;
      patch(c);
      return issuesOf(c);
    };
    expect(bad((c) => (c.storage.retentionMonths = -3))).toEqual(['recorder.json: storage.retentionMonths: expected a whole number ≥ 1, got -3']);
    expect(bad((c) => (c.storage.retentionMonths = 1.5))).toEqual(['recorder.json: storage.retentionMonths: expected a whole number, got 1.5']);
    expect(bad((c) => (c.reporting.trials = 10000))).toEqual(['recorder.json: reporting.trials: expected a whole number ≤ 9999, got 10000']);
    expect(bad((c) => (c.reporting.trials = '5'))).toEqual(['recorder.json: reporting.trials: expected a whole number, got "5"']);
    expect(bad((c) => (c.storage.retentonMonths = 3))).toEqual(['recorder.json: storage.retentonMonths: unknown key (a typo?)']);
    expect(bad((c) => (c.extra = true))).toEqual(['recorder.json: extra: unknown key (a typo?)']);
    expect(bad((c) => delete c.pbx.url)).toEqual(['recorder.json: pbx.url: required']);
    expect(bad((c) => delete c.storage)).toEqual(['recorder.json: storage: required']);
    expect(bad((c) => (c.pbx.url = 'ftp://pbx'))).toEqual(['recorder.json: pbx.url: expected an http:// or https:// URL, got "ftp://pbx"']);
    expect(bad((c) => (c.recording = { format: 'ogg' }))).toEqual(["recorder.json: recording.format: expected 'wav', 'mp3', 'opus' or 'pcap', got \"ogg\""]);
    expect(bad((c) => (c.recording = { format: 'opus', opusBitrate: 17 }))).toEqual([expect.stringMatching(/^recorder\.json: recording\.opusBitrate: expected 12, 16, .* or 64, got 17$/)]);
    expect(bad((c) => (c.recording = { mp3Bitrate: 100 }))).toEqual([expect.stringMatching(/^recorder\.json: recording\.mp3Bitrate: expected 16, 24, .* or 64, got 100$/)]);
    expect(bad((c) => (c.recording = { mode: 'tcr' }))).toEqual(['recorder.json: tcr.number: mode is "tcr": give the number of the TCR object agents call to keep their last call ([tcr] number)']);
    expect(bad((c) => ((c.recording = { mode: 'tcr' }), (c.tcr = { number: '51', markWindowSeconds: 0 })))).toEqual(['recorder.json: tcr.markWindowSeconds: expected a whole number ≥ 1, got 0']);
    expect(bad((c) => (c.recording = { mode: 'sometimes' }))).toEqual(["recorder.json: recording.mode: expected 'std', 'tcr' or 'random', got \"sometimes\""]);
    expect(bad((c) => (c.recording = { mode: 'random' }))).toEqual([expect.stringMatching(/^recorder\.json: random: mode is "random": set random\.systemEvery and\/or random\.agentEvery above 1/)]);
    expect(bad((c) => (c.random = { systemEvery: 3 }))).toEqual(['recorder.json: random: [random] is set but recording.mode is "std": set mode = "random" or remove [random]']);
    expect(bad((c) => ((c.recording = { mode: 'random' }), (c.random = { systemEvery: 0 })))).toEqual(['recorder.json: random.systemEvery: expected a whole number ≥ 1, got 0']);
    expect(bad((c) => ((c.recording = { mode: 'random' }), (c.random = { systemEvery: 3, everyOther: 2 })))).toEqual(['recorder.json: random.everyOther: unknown key (a typo?)']);
    expect(bad((c) => (c.recording = { format: 'pcap', mix: 'mono' }))).toEqual(["recorder.json: recording.mix: a PCAP recording keeps both sides: mix must be 'stereo' with format 'pcap'"]);
    expect(bad((c) => (c.drive = { kind: 'ftp' }))).toEqual(["recorder.json: drive.kind: expected 'webdav' or 'local', got \"ftp\""]);
    expect(bad((c) => (c.drive = { kind: 'local', path: '/x', url: 'http://a' }))).toEqual(['recorder.json: drive.url: unknown key (a typo?)']);
    expect(bad((c) => (c.storage.timezone = 'Mars/Olympus'))).toEqual([expect.stringMatching(/^recorder\.json: storage\.timezone: expected 'local', 'utc' or an IANA time zone/)]);
    expect(bad((c) => (c.encryption = { enabled: true }))).toEqual(['recorder.json: encryption.keyFiles: encryption is enabled: give at least one key file']);
    expect(bad((c) => (c.encryption = { keyFiles: [''] }))).toEqual(['recorder.json: encryption.keyFiles[0]: must not be empty']);
    expect(bad((c) => (c.log = { level: 'loud' }))).toEqual([expect.stringContaining("recorder.json: log.level: expected 'fatal', 'error'")]);
    expect(bad((c) => (c.tan = { prefix: '12a' }))).toEqual(['recorder.json: tan.prefix: expected 1…16 of 0-9 * #, got "12a"']);
    // Settings of features this version does not have are refused, never accepted and ignored.
    // The reporting and the drive follow the PBX link without a switch (the reference's "follow Standby/Active PBX").
    expect(bad((c) => (c.pbx.followStandby = true))).toEqual(['recorder.json: pbx.followStandby: unknown key (a typo?)']);
    expect(bad((c) => (c.tcr = { number: '51' }))).toEqual(['recorder.json: tcr: [tcr] is set but recording.mode is "std": set mode = "tcr" or remove [tcr]']);
    expect(bad((c) => ((c.recording = { mode: 'tcr' }), (c.tcr = { number: '51', markWithinMinutes: 5 })))).toEqual(['recorder.json: tcr.markWithinMinutes: unknown key (a typo?)']);
    expect(bad((c) => (c.player = { appServer: '127.0.0.1' }))).toEqual(['recorder.json: player.appServer: expected host:port, e.g. 10.0.0.5:4444, got "127.0.0.1"']);
    expect(bad((c) => (c.player = { appServer: '127.0.0.1:70000' }))).toEqual(['recorder.json: player.appServer: port 70000 is not 1..65535']);
    expect(bad((c) => (c.player = { appServer: '127.0.0.1:5000', keepAlive: 5 }))).toEqual(['recorder.json: player.keepAlive: unknown key (a typo?)']);
    expect(bad((c) => (c.licences = 10))).toEqual(['recorder.json: licences: expected a table (object), got 10']);
    expect(bad((c) => (c.licences = { recording: -1 }))).toEqual(['recorder.json: licences.recording: expected a whole number ≥ 0, got -1']);
    expect(bad((c) => (c.licences = { count: 5 }))).toEqual(['recorder.json: licences.recording: required', 'recorder.json: licences.count: unknown key (a typo?)']);
    expect(bad((c) => (c.log = { dir: '/var/log/recorder', keep: 3 }))).toEqual(['recorder.json: log.keep: unknown key (a typo?)']);
    expect(bad((c) => (c.drive = { kind: 'local', path: '/x', standbyUrl: 'http://b' }))).toEqual(['recorder.json: drive.standbyUrl: unknown key (a typo?)']);
    expect(bad((c) => (c.drive = { kind: 'webdav', url: 'http://a/REC', standbyUrl: 'ftp://b/REC' }))).toEqual(['recorder.json: drive.standbyUrl: expected an http:// or https:// URL, got "ftp://b/REC"']);
    expect(bad((c) => (c.pbx.password = 5))).toEqual(['recorder.json: pbx.password: expected text']); // a secret is never echoed
    // Several problems: one line each.
    expect(bad((c) => ((c.storage.retentionMonths = 0), (c.server = { port: 70000 })))).toHaveLength(2);
  });

  it('reports unreadable files with the file name and position, without echoing content', async () => {
    await expect(loadConfig(join(dir, 'missing.toml'))).rejects.toThrow(/missing\.toml: no such file/);
    const toml = write('broken.toml', '[pbx]\npassword = = "hunter2"\n');
    const error = (await loadConfig(toml).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^broken\.toml: not valid TOML: line 2, column \d+/);
    expect(error.message).not.toContain('hunter2');
    const json = write('broken.json', '{"pbx": {"password": "hunter2",}}');
    const jsonError = (await loadConfig(json).catch((e: unknown) => e)) as ConfigError;
    expect(jsonError.message).toMatch(/^broken\.json: not valid JSON/);
    expect(jsonError.message).not.toContain('hunter2');
    const tomlBadValue = write('recorder.toml', TOML.replace('retentionMonths = 24', 'retentionMonths = -3'));
    await expect(loadConfig(tomlBadValue)).rejects.toThrow('recorder.toml: storage.retentionMonths: expected a whole number ≥ 1, got -3');
  });

  it('decrypts "enc:" secrets with the configured key files and keeps secrets out of describeConfig', async () => {
    const keyPath = join(dir, 'recorder.key');
    const key = await generateKeyFile(keyPath);
    const keyring = new Keyring([key]);
    const encrypted = encryptSecret('pbx-secret-1', keyring);
    expect(encrypted).toMatch(/^enc:[A-Za-z0-9_-]+$/);
    expect(decryptSecret(encrypted, keyring)).toBe('pbx-secret-1');
    expect(decryptSecret('plain', keyring)).toBe('plain');

    const text = `${TOML.replace('"pbx-secret-1"', JSON.stringify(encrypted))}\n[encryption]\nenabled = true\nkeyFiles = ["recorder.key"]\n`;
    const config = await loadConfig(write('recorder.toml', text));
    expect(config.pbx.password).toBe('pbx-secret-1');
    expect(config.encryption.keyFiles).toEqual([keyPath]);

    const described = JSON.stringify(describeConfig({ ...config, drive: { ...config.drive, url: 'http://user:dav-pass@127.0.0.1/x' } }));
    for (const secret of ['pbx-secret-1', 'rep-secret-2', 'dav-secret-3', 'dav-pass', encrypted]) expect(described).not.toContain(secret);
    expect(described).toContain(REDACTED);
    expect(described).toContain('http://user:[redacted]@127.0.0.1/x');
    expect(described).toContain('"root":');

    // Without a key, or with another key: the path and the reason.
    const noKey = write('nokey.toml', TOML.replace('"pbx-secret-1"', JSON.stringify(encrypted)));
    await expect(loadConfig(noKey)).rejects.toThrow('nokey.toml: pbx.password: an encrypted secret (enc:…) needs a key: set encryption.keyFiles');
    await expect(loadConfig(noKey, { keyring: new Keyring([Key.generate()]) })).rejects.toThrow(/nokey\.toml: pbx\.password: cannot decrypt: unknown key/);
    const tampered = write('tampered.toml', TOML.replace('"pbx-secret-1"', JSON.stringify(`${encrypted.slice(0, -4)}AAAA`)));
    await expect(loadConfig(tampered, { keyring })).rejects.toThrow(/tampered\.toml: pbx\.password: cannot decrypt/);
    const missingKey = write('missing-key.toml', `${TOML.replace('"pbx-secret-1"', JSON.stringify(encrypted))}\n[encryption]\nkeyFiles = ["nope.key"]\n`);
    await expect(loadConfig(missingKey)).rejects.toThrow(/missing-key\.toml: encryption\.keyFiles\[0\]: .*nope\.key: cannot read key file/);
  });

  it('[storage.bucket]: an S3-compatible bucket, checked by name; its secret key may be "enc:" and is never described', async () => {
    const keyPath = join(dir, 'recorder.key');
    const keyring = new Keyring([await generateKeyFile(keyPath)]);
    const secret = encryptSecret('s3-secret-9', keyring);
    const bucket = (lines: string): string => `${TOML}\n[storage.bucket]\n${lines}\n[encryption]\nkeyFiles = ["recorder.key"]\n`;
    const config = await loadConfig(write('bucket.toml', bucket(`endpoint = "http://127.0.0.1:9000"\nname = "calls"\nprefix = "tenant-a/"\naccessKeyId = "AKIA1"\nsecretAccessKey = ${JSON.stringify(secret)}\nobjectLock = { mode = "COMPLIANCE", days = 3650 }`)));
    expect(config.storage.bucket).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      name: 'calls',
      prefix: 'tenant-a/',
      accessKeyId: 'AKIA1',
      secretAccessKey: 's3-secret-9',
      forcePathStyle: true,
      objectLock: { mode: 'COMPLIANCE', days: 3650 },
    });
    expect(JSON.stringify(describeConfig(config))).not.toContain('s3-secret-9');
    // AWS itself: no endpoint, virtual-hosted addresses.
    expect((await loadConfig(write('aws.toml', bucket('name = "calls"\nregion = "eu-central-1"\naccessKeyId = "AKIA1"\nsecretAccessKey = "x"')))).storage.bucket?.forcePathStyle).toBe(false);
    const refused = (lines: string): Promise<string> =>
      loadConfig(write('bad.toml', bucket(lines))).then(
        () => 'accepted',
        (error: unknown) => (error as Error).message,
      );
    expect(await refused('name = "Calls_2026"\naccessKeyId = "a"\nsecretAccessKey = "x"')).toMatch(/storage\.bucket\.name: expected a bucket name/);
    expect(await refused('name = "calls"\nprefix = "tenant-a"\naccessKeyId = "a"\nsecretAccessKey = "x"')).toMatch(/storage\.bucket\.prefix: expected folders ending in "\/"/);
    expect(await refused('endpoint = "ftp://127.0.0.1"\nname = "calls"\naccessKeyId = "a"\nsecretAccessKey = "x"')).toMatch(/storage\.bucket\.endpoint: expected an http:\/\/ or https:\/\/ URL/);
    expect(await refused('name = "calls"\naccessKeyId = "a"\nsecretAccessKey = ""')).toMatch(/storage\.bucket\.secretAccessKey: must not be empty/);
    expect(await refused('name = "calls"\naccessKeyId = "a"\nsecretAccessKey = "x"\nobjectLock = { mode = "WORM", days = 1 }')).toMatch(/storage\.bucket\.objectLock\.mode/);
  });

  it('recording.mp3Bitrate 56 with the WebAssembly encoder is refused by name (lamejs takes it; WAV does not use it)', async () => {
    const mp3 = TOML.replace('format = "mp3"', 'format = "mp3"\nmp3Bitrate = 56');
    await expect(loadConfig(write('mp3-56.toml', mp3))).rejects.toThrow('mp3-56.toml: recording.mp3Bitrate: 56 kbit/s is not a rate the WebAssembly LAME encoder takes (16, 24, 32, 40, 48, 64): choose one of those, or the lamejs encoder');
    expect((await loadConfig(write('lamejs-56.toml', mp3.replace('mp3Bitrate = 56', 'mp3Bitrate = 56\nmp3Encoder = "lamejs"')))).recording.mp3Bitrate).toBe(56);
    expect((await loadConfig(write('wav-56.toml', mp3.replace('format = "mp3"', 'format = "wav"')))).recording.mp3Bitrate).toBe(56);
  });
});
