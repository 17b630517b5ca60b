import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/setup/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/loop-watch.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most end-to-end files wait on a simulated PBX, child processes and timers rather than a core: on the 2-core CI
    // machine vitest's default (cores - 1 = one file at a time) left a core idle most of the 15 minutes.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    minWorkers: 1,
    reporters: ['default', './test/setup/main-loop-watch.ts'],
    sequence: { sequencer: LongestFirstSequencer },
  },
});
