// The real browser the web player's tests drive: Debian's Chromium through playwright-core, with the flags this
// project's instructions name; and the player's log-in as a person does it.
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Open the player at `url` and log in; `player` fills the player name; resolves once the app is shown. */
export async function logIn(page: Page, url: string, user: string, password: string, player?: string): Promise<void> {
  await page.goto(url);
  await page.locator('#login-user').fill(user);
  await page.locator('#login-password').fill(password);
  if (player !== undefined) await page.locator('#login-player').fill(player);
  await page.locator('#login-submit').click();
  await page.locator('#app').waitFor({ state: 'visible' });
}
