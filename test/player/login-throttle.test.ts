// Login throttling under parallel guessing: the limit holds however many guesses arrive at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlayerServer } from '../../src/player/index.js';
import { Client, type Fixture, makeFixture, startServer } from './helpers.js';

let fixture: Fixture;
let server: PlayerServer;
let url: string;

beforeAll(async () => {
  fixture = await makeFixture({ encrypted: false });
  ({ server, url } = await startServer(fixture, { loginLimit: { maxFailuresPerUser: 5, maxFailuresPerAddress: 20 } }));
});

afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

describe('parallel brute force', () => {
  it('200 guesses at once for one account: at most 5 are checked, the right password among them does not get in', async () => {
    const right = 137;
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => new Client(url).login('ann', i === right ? undefined : `guess-${i}`).then((r) => r.status)),
    );
    const counts = answers.reduce<Record<number, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {});
    expect(counts[200] ?? 0).toBe(0);
    expect(counts[401]).toBeLessThanOrEqual(5);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(200);
    expect(answers[right]).toBe(429);
    // The account is locked for the window, even with its right password.
    expect((await new Client(url).login('ann')).status).toBe(429);
  });

  it('successful logins are not counted against the client address', async () => {
    // 30 good logins from this address (over the per-address limit of 20) all succeed.
    for (let i = 0; i < 30; i++) expect((await new Client(url).login('bob')).status).toBe(200);
  });
});
