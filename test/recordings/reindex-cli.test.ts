import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { RecordingIndex, RecordingStore } from '../../src/recordings/index.js';
import { meta, writeAudio } from './helpers.js';
import { writeOfflineConfig } from '../helpers/offline-config.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  try {
    return { code: await main(args), stdout };
  } finally {
    process.stdout.write = write;
  }
}

describe('recorder reindex', () => {
  it('rebuilds the index from the files after the index is lost', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reindex-cli-'));
    dirs.push(dir);
    const root = join(dir, 'store');
    const store = await RecordingStore.open({ root, timeZone: 'utc' });
    for (let i = 0; i < 3; i++) {
      await store.file({ meta: meta({ callId: `call${i}`, start: new Date(Date.UTC(2026, 0, 2 + i, 9)) }), audioPath: writeAudio(dir, `a${i}.raw`, 2000, i), format: 'wav' });
    }
    const config = writeOfflineConfig(dir, 'recorder.json', root);
    const result = await run(['reindex', '-c', config, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ indexed: 3, removed: 0 });
    const index = new RecordingIndex(join(root, 'TMP', 'index.sqlite'));
    try {
      expect(index.search({}).total).toBe(3);
    } finally {
      index.close();
    }
    expect((await run(['reindex', '-c', join(dir, 'missing.toml')])).code).toBe(2);
  });
});
