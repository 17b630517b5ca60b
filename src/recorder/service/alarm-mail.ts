// Alarm mail (the reference: "a warning email is sent to the administrator"): the master alarm's events through an
// SMTP server with nodemailer. Mailed: the alarm triggering, lamps going red, lamps going green again (unless
// `mailRecovery` is off), RESET/OFF/ON. Nothing while the alarm is OFF (but the OFF itself) or in the start-up
// grace. At most one mail per `minIntervalSeconds`: what happens in between goes out together, in order; a mail
// the server refuses is tried again at the next interval (three times, then given up, logged).
import { hostname } from 'node:os';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { AlarmEvent, MasterAlarmStatus } from './master-alarm.js';
import { LAMP_NAMES } from './master-alarm.js';
import type { StatusSnapshot } from './service-status.js';

export interface AlarmMailSettings {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly requireTls: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly subjectPrefix?: string;
  readonly minIntervalSeconds: number;
  readonly mailRecovery: boolean;
}

export interface AlarmMailerOptions {
  readonly settings: AlarmMailSettings;
  readonly log: Logger;
  /** TLS options for the SMTP connection (tests: a self-signed certificate's CA). */
  readonly tls?: { readonly ca?: string | Buffer; readonly rejectUnauthorized?: boolean };
}

interface Pending {
  readonly event: AlarmEvent;
}

const MAX_TRIES = 3;

export class AlarmMailer {
  readonly #settings: AlarmMailSettings;
  readonly #log: Logger;
  readonly #transport: Transporter;
  readonly #prefix: string;
  #pending: Pending[] = [];
  #snapshot: (() => StatusSnapshot) | undefined;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> = Promise.resolve();
  #tries = 0;
  /** Mails sent (for the status and tests). */
  sent = 0;

  constructor(options: AlarmMailerOptions) {
    const settings = options.settings;
    this.#settings = settings;
    this.#log = options.log;
    this.#prefix = settings.subjectPrefix ?? `Recorder ${hostname()}`;
    this.#transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      requireTLS: settings.requireTls,
      ...(settings.username !== undefined ? { auth: { user: settings.username, pass: settings.password ?? '' } } : {}),
      ...(options.tls ? { tls: { ...options.tls } } : {}),
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
  }

  /** An alarm event: mailed now or with the next mail, or not at all (see the header). */
  notify(event: AlarmEvent, status: MasterAlarmStatus, snapshot: () => StatusSnapshot): void {
    this.#snapshot = snapshot;
    if (!this.#worthMailing(event, status)) return;
    this.#pending.push({ event });
    this.#schedule();
  }

  /** A test mail now (recorder alarm test-mail): resolves with the server's answer, rejects with its refusal. */
  async sendTest(): Promise<string> {
    const info = await this.#transport.sendMail({
      from: this.#settings.from,
      to: [...this.#settings.to],
      subject: `${this.#prefix}: test mail`,
      text: `This is a test of the recorder's alarm mail, sent from ${hostname()} at ${new Date().toISOString()}.\nAlarms will come the same way.\n`,
    });
    return String(info.response ?? info.messageId);
  }

  /** Send what is pending now (at stop), then close the connection pool. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    if (this.#pending.length > 0) await this.#send();
    await this.#sending;
    this.#transport.close();
  }

  #worthMailing(event: AlarmEvent, status: MasterAlarmStatus): boolean {
    if (event.kind === 'master') return event.to !== 'starting';
    if (status.state === 'off' || status.state === 'starting') return false;
    if (event.to === 'red') return true;
    return event.to === 'green' && event.from === 'red' && this.#settings.mailRecovery;
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastSentAt + this.#settings.minIntervalSeconds * 1000 - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#send();
    }, wait);
    this.#timer.unref();
  }

  #send(): Promise<void> {
    this.#sending = this.#sending.then(async () => {
      const batch = this.#pending.splice(0);
      if (batch.length === 0) return;
      const { subject, text } = this.#compose(batch.map((p) => p.event));
      this.#lastSentAt = Date.now();
      try {
        await this.#transport.sendMail({ from: this.#settings.from, to: [...this.#settings.to], subject, text });
        this.sent++;
        this.#tries = 0;
        this.#log.info({ subject, to: this.#settings.to, events: batch.length }, 'alarm mail sent');
      } catch (error) {
        this.#tries++;
        const reason = error instanceof Error ? error.message : String(error);
        if (this.#tries < MAX_TRIES) {
          this.#log.warn({ reason, tries: this.#tries }, 'alarm mail not sent; tried again with the next');
          this.#pending.unshift(...batch);
          this.#schedule();
        } else {
          this.#log.error({ reason, tries: this.#tries, subject }, 'alarm mail given up after three tries');
          this.#tries = 0;
        }
      }
    });
    return this.#sending;
  }

  #compose(events: readonly AlarmEvent[]): { subject: string; text: string } {
    const triggered = events.find((e) => e.kind === 'master' && e.to === 'triggered');
    const reds = [...new Set(events.filter((e) => e.kind === 'lamp' && e.to === 'red').map((e) => e.subject))];
    const greens = [...new Set(events.filter((e) => e.kind === 'lamp' && e.to === 'green').map((e) => e.subject))];
    const master = events.filter((e) => e.kind === 'master' && e.to !== 'triggered');
    let headline: string;
    if (triggered) headline = `MASTER ALARM - ${triggered.reason ?? 'a lamp went red'}`;
    else if (reds.length > 0) headline = `${reds.join(', ')} red`;
    else if (greens.length > 0) headline = `${greens.join(', ')} green again`;
    else headline = master.map((e) => `master alarm ${e.to} (${e.reason ?? ''})`).join('; ');
    const snapshot = this.#snapshot?.();
    const lines: string[] = [];
    if (snapshot) {
      lines.push(`Lamps now (${snapshot.at}):`);
      for (const lamp of LAMP_NAMES) {
        const reason = snapshot.lamps[lamp] === 'red' ? snapshot.reasons[lamp] : undefined;
        lines.push(`  ${lamp.padEnd(8)} ${snapshot.lamps[lamp]}${reason ? ` - ${reason}` : ''}`);
      }
      lines.push(`Master alarm: ${snapshot.master.state} since ${snapshot.master.since}`);
      lines.push(`Channels in recording: ${snapshot.channelsInRecording}; captures waiting: ${snapshot.capturesWaiting}`);
      if (snapshot.disk) lines.push(`Free on the store's disk: ${(snapshot.disk.freeBytes / 1e9).toFixed(1)} GB of ${(snapshot.disk.totalBytes / 1e9).toFixed(1)} GB`);
      lines.push('');
    }
    lines.push('What happened:');
    for (const e of events) lines.push(`  ${e.at}  ${e.kind === 'lamp' ? `${e.subject} ${e.from} -> ${e.to}` : `master alarm ${e.from} -> ${e.to}`}${e.reason ? ` - ${e.reason}` : ''}`);
    lines.push('');
    lines.push(`Service on ${hostname()}${snapshot ? `, pid ${snapshot.pid}, running since ${snapshot.startedAt}` : ''}.`);
    lines.push('Acknowledge the master alarm with `recorder alarm reset -c CONFIG` or in the player (supervisors); `recorder alarm off` silences it.');
    return { subject: `${this.#prefix}: ${headline}`, text: `${lines.join('\n')}\n` };
  }
}
