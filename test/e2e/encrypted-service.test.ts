import { closeSync, openSync, readSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { configKeyring, validateConfig } from '../../src/platform/config/index.js';
import { generateKeyFile, hasContainerMagic, verifyFile } from '../../src/platform/crypto/index.js';
import { EmbeddedPbx, defaultDirectory, randomScenario } from '../../src/embedded/index.js';
import { RecorderService } from '../../src/recorder/service/index.js';
import type { FiledEvent } from '../../src/recorder/service/index.js';
import { filesUnder } from './helpers/service-harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** The first bytes of a file (fewer if it is shorter), or undefined when it is gone. */
function head(path: string, bytes: number): Buffer | undefined {
  try {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0));
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Looks at the working folders every few milliseconds while the service runs: every capture copy and every
 * recording there must be an encrypted container from its first byte (a sealed recording being written has a
 * header of zeros until it lands), and no plaintext scratch folder may appear in the temp dir.
 */
function watchForPlaintext(workDir: string): { stop(): string[]; looks: number } {
  const found = new Set<string>();
  const state = { looks: 0 };
  const timer = setInterval(() => {
    state.looks++;
    for (const path of [...filesUnder(join(workDir, 'captures')), ...filesUnder(join(workDir, 'out'))]) {
      const bytes = head(path, 8);
      if (bytes === undefined || bytes.length < 8) continue;
      if (hasContainerMagic(bytes)) continue;
      if (path.endsWith('.partial') && bytes.every((b) => b === 0)) continue;
      found.add(`${path}: starts ${bytes.toString('hex')}`);
    }
    for (const name of readdirSync(tmpdir())) if (name.startsWith('recorder-seal-')) found.add(`${join(tmpdir(), name)}: plaintext scratch folder`);
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return [...found];
    },
    get looks() {
      return state.looks;
    },
  };
}

describe('recorder run with encryption on', () => {
  for (const format of ['mp3', 'pcap'] as const)
  it(`${format}: files audio and call data encrypted and signed; verify says intact; nothing readable in the working folders meanwhile`, async () => {
    const base = await mkdtemp(join(tmpdir(), 'enc-service-'));
    dirs.push(base);
    const keyFile = join(base, 'system.key');
    await generateKeyFile(keyFile);
    const directory = defaultDirectory();
    const pbx = new EmbeddedPbx({ scenario: randomScenario(directory, { calls: 6, seed: 11, meanGapSeconds: 3, kinds: ['inbound', 'outbound'] }), directory, driveRoot: join(base, 'drive'), speed: 20, captureFlushMs: 50 });
    const endpoints = await pbx.start();
    const config = validateConfig(
      {
        pbx: { url: endpoints.soapUrl, username: endpoints.username, password: endpoints.password },
        reporting: { url: endpoints.reportingUrl, username: endpoints.username, password: endpoints.password, firstRetrySeconds: [1, 1] },
        drive: { kind: 'webdav', url: endpoints.recUrl, username: endpoints.username, password: endpoints.password, pollSeconds: 1, graceSeconds: 0 },
        storage: { root: join(base, 'store') },
        recording: { format },
        encryption: { enabled: true, keyFiles: [keyFile] },
      },
      'test-config',
      base,
    );
    const keyring = await configKeyring(config);
    const filed: FiledEvent[] = [];
    const service = new RecorderService({ config, keyring: keyring!, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, onFiled: (event) => filed.push(event) });
    await service.start();
    const watch = watchForPlaintext(config.storage.workDir);
    try {
      await pbx.run();
      const expected = pbx.calls.filter((call) => call.expected.agent !== null).length;
      expect(expected).toBeGreaterThan(0);
      const deadline = Date.now() + 40_000;
      while ((readdirSync(endpoints.recDir).length > 0 || service.status().pending > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(filed).toHaveLength(expected);
      const plaintext = watch.stop();
      console.log(`encrypted service (${format}): ${filed.length} recordings filed; working folders looked at ${watch.looks} times, plaintext seen: ${plaintext.length}`);
      expect(plaintext).toEqual([]);
      for (const event of filed) {
        const audio = event.recording.audioPath;
        expect(audio.endsWith(`.${format}`)).toBe(true);
        expect(hasContainerMagic(readFileSync(audio).subarray(0, 8))).toBe(true);
        expect(hasContainerMagic(readFileSync(event.recording.xmlPath!).subarray(0, 8))).toBe(true);
        const verdict = await verifyFile(audio, keyring!);
        expect(verdict.status, verdict.reason).toBe('intact');
        expect(service.recordings!.row(event.recording.name)?.integrity).toBe('intact');
      }
    } finally {
      watch.stop();
      await service.stop();
      await pbx.stop();
    }
  });
});
