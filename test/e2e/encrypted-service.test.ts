import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { configKeyring, validateConfig } from '../../src/config/index.js';
import { generateKeyFile, hasContainerMagic, verifyFile } from '../../src/crypto/index.js';
import { EmbeddedPbx, defaultDirectory, randomScenario } from '../../src/embedded/index.js';
import { RecorderService } from '../../src/service/index.js';
import type { FiledEvent } from '../../src/service/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('recorder run with encryption on', () => {
  it('files audio and call data encrypted and signed; verify says intact', async () => {
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
        recording: { format: 'mp3' },
        encryption: { enabled: true, keyFiles: [keyFile] },
      },
      'test-config',
      base,
    );
    const keyring = await configKeyring(config);
    const filed: FiledEvent[] = [];
    const service = new RecorderService({ config, keyring: keyring!, logger: pino({ level: 'silent' }), pollMs: 200, longRetryMs: 300, onFiled: (event) => filed.push(event) });
    await service.start();
    try {
      await pbx.run();
      const expected = pbx.calls.filter((call) => call.expected.agent !== null).length;
      expect(expected).toBeGreaterThan(0);
      const deadline = Date.now() + 40_000;
      while ((readdirSync(endpoints.recDir).length > 0 || service.status().pending > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(filed).toHaveLength(expected);
      for (const event of filed) {
        const audio = event.recording.audioPath;
        expect(audio.endsWith('.mp3')).toBe(true);
        expect(hasContainerMagic(readFileSync(audio).subarray(0, 8))).toBe(true);
        expect(hasContainerMagic(readFileSync(event.recording.xmlPath!).subarray(0, 8))).toBe(true);
        const verdict = await verifyFile(audio, keyring!);
        expect(verdict.status, verdict.reason).toBe('intact');
        expect(service.recordingIndex!.get(event.recording.name)?.integrity).toBe('intact');
      }
    } finally {
      await service.stop();
      await pbx.stop();
    }
  });
});
