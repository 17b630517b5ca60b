// Audio out of the store: played (HTTP Range, decrypted chunk by chunk, G.711 offered as PCM), downloaded as the
// original file, summarised as a waveform, or exported with its call data and notes as a zip.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import yazl from 'yazl';
import { RECORDING_CONTENT_TYPES } from '../../domain/index.js';
import { sidecarToXml } from '../../recordings/index.js';
import type { IndexedRecording, StoredRecording } from '../../recordings/index.js';
import type { Account } from '../accounts.js';
import { may, mayListen, visibleRecording } from '../access.js';
import { openByteSource, playable } from '../audio-source.js';
import type { PlayableAudio } from '../audio-source.js';
import type { Keyring } from '../../platform/crypto/index.js';
import type { PlayerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { checkApproval } from './approvals.js';
import { attachment, resource, sessionOf } from '../http.js';
import type { AudioUse } from '../integrity.js';
import { decideRange } from '../range.js';
import { namedRecording } from './recording.js';

/** Most recordings in one zip export or playlist (the reference's playlist limit). */
export const MAX_EXPORT = 99;

/**
 * The audio as a browser plays it (G.711 WAV as PCM), decrypted as it is read; a kept capture as its rendering
 * (a stereo WAV made once and cached), so it plays and seeks like any recording.
 */
async function openPlayable(ctx: PlayerContext, stored: StoredRecording): Promise<PlayableAudio> {
  const keyring = ctx.keyring;
  if (stored.format === 'pcap') {
    const rendering = await ctx.pcapPlayback.rendering(stored);
    const source = await openByteSource(rendering.path, rendering.encrypted, keyring);
    return playable(source, 'wav').catch(async (error: unknown) => {
      await source.close();
      throw error;
    });
  }
  const source = await openByteSource(await ctx.recordings.openAudio(stored), stored.encrypted, keyring);
  return playable(source, stored.format).catch(async (error: unknown) => {
    await source.close();
    throw error;
  });
}

/** The original file's bytes (decrypted), as a download. */
async function openDownload(ctx: PlayerContext, stored: StoredRecording, keyring: Keyring | undefined): Promise<PlayableAudio> {
  const source = await openByteSource(await ctx.recordings.openAudio(stored), stored.encrypted, keyring);
  return { size: source.size, stream: source.stream.bind(source), close: () => source.close(), contentType: RECORDING_CONTENT_TYPES[stored.format] };
}

/** Send a stream on the raw response; a client that goes away (seeking closes the old request) is normal. */
async function streamOut(ctx: PlayerContext, reply: FastifyReply, source: Readable): Promise<void> {
  await pipeline(source, reply.raw).catch((error: unknown) => {
    if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') ctx.onError(error);
    reply.raw.destroy();
  });
}

export function audioRoutes(app: FastifyInstance, ctx: PlayerContext): void {
  const servable = (request: FastifyRequest, account: Account, row: IndexedRecording, use: AudioUse): Promise<StoredRecording> =>
    ctx.integrity.servable(account, row, use, { investigate: (request.query as Record<string, unknown>).investigate === '1', head: request.method === 'HEAD' });

  const audio = async (request: FastifyRequest, reply: FastifyReply, download: boolean): Promise<void> => {
    const { account, row } = namedRecording(ctx, request);
    if (!mayListen(account)) throw new HttpError(403, 'this account may not listen to calls (a compliance officer needs the listen permission)');
    if (download && !may(account, 'export')) throw new HttpError(403, 'this account may not export');
    if (download && request.method !== 'HEAD') checkApproval(ctx, account, 'export', [row.name], new URL(request.url, 'http://player.invalid').searchParams.get('approval') ?? undefined);
    // Why it is played (?reason=…: a complaint, a dispute, quality review); where the site asks for it, required.
    const reason = new URL(request.url, 'http://player.invalid').searchParams.get('reason')?.trim().slice(0, 200);
    if (!download && ctx.reasonOnPlay && !reason) throw new HttpError(400, 'reason: this site asks why you listen: give ?reason=…');
    const stored = await servable(request, account, row, download ? 'export' : 'play');
    const body = download ? await openDownload(ctx, stored, ctx.keyring) : await openPlayable(ctx, stored);
    try {
      const decision = decideRange(request.headers.range, body.size);
      const headers: Record<string, string | number> = { 'Content-Type': body.contentType, 'Accept-Ranges': 'bytes', 'Cache-Control': 'private, no-cache' };
      if (download) headers['Content-Disposition'] = attachment(`${row.name}.${stored.format}`);
      if (decision.kind === 'unsatisfiable') {
        reply.code(416).headers({ ...headers, 'Content-Range': `bytes */${body.size}`, 'Content-Length': 0 }).send();
        return;
      }
      const [start, end] = decision.kind === 'partial' ? [decision.start, decision.end] : [0, body.size];
      if (decision.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end - 1}/${body.size}`;
      headers['Content-Length'] = end - start;
      reply.hijack();
      reply.raw.writeHead(decision.kind === 'partial' ? 206 : 200, headers);
      if (request.method === 'HEAD') {
        reply.raw.end();
        return;
      }
      if (start === 0) {
        if (download) ctx.audit.write(account.name, 'export', { recording: row.name });
        else {
          ctx.accounts.recordPlayed(account.name, row.callId);
          ctx.audit.write(account.name, 'play', { recording: row.name, ...(reason ? { reason } : {}) });
        }
      }
      await streamOut(ctx, reply, Readable.from(body.stream(start, end)));
    } finally {
      await body.close();
    }
  };

  resource(app, '/api/recordings/:name/audio', { GET: (request, reply) => audio(request, reply, false), HEAD: (request, reply) => audio(request, reply, false) });
  resource(app, '/api/recordings/:name/export', { GET: (request, reply) => audio(request, reply, true) });

  resource(app, '/api/recordings/:name/waveform', {
    GET: async (request, reply) => {
      const { account, row } = namedRecording(ctx, request);
      const stored = await servable(request, account, row, 'waveform');
      const waveform = await ctx.waveforms.get(row.name, stored.bytes, stored.format === 'pcap' ? 'wav' : stored.format, () => openPlayable(ctx, stored));
      reply.header('Cache-Control', 'private, max-age=3600');
      return waveform;
    },
  });

  resource(app, '/api/export', {
    GET: async (request, reply) => {
      const account = sessionOf(request).account;
      if (!may(account, 'export')) throw new HttpError(403, 'this account may not export');
      if (!mayListen(account)) throw new HttpError(403, 'this account may not listen to calls (a compliance officer needs the listen permission)');
      const url = new URL(request.url, 'http://player.invalid');
      for (const key of url.searchParams.keys()) if (key !== 'name' && key !== 'investigate' && key !== 'approval') throw new HttpError(400, `unknown export parameter ${JSON.stringify(key.slice(0, 40))}`);
      const names = [...new Set(url.searchParams.getAll('name'))];
      if (names.length === 0) throw new HttpError(400, 'name: give at least one recording');
      if (names.length > MAX_EXPORT) throw new HttpError(400, `name: at most ${MAX_EXPORT} recordings per export`);
      const rows = names.map((name) => visibleRecording(ctx.recordings, name, account));
      checkApproval(ctx, account, 'export', rows.map((row) => row.name), url.searchParams.get('approval') ?? undefined);
      const stored: StoredRecording[] = [];
      for (const row of rows) stored.push(await servable(request, account, row, 'export'));
      // Call data and notes are small: read (and decrypted) before the zip starts; audio streams in as it is zipped.
      const zip = new yazl.ZipFile();
      for (const entry of stored) {
        const mtime = entry.start;
        const keyring = ctx.keyring;
        const audio = Readable.from(
          (async function* () {
            const source = await openByteSource(await ctx.recordings.openAudio(entry), entry.encrypted, keyring);
            try {
              yield* source.stream(0, source.size);
            } finally {
              await source.close();
            }
          })(),
        );
        zip.addReadStream(audio, `${entry.name}.${entry.format}`, { mtime, compress: entry.format === 'wav' || entry.format === 'pcap' });
        if (entry.xmlPath) {
          const read = await ctx.recordings.readSidecar(entry).catch(() => undefined);
          zip.addBuffer(Buffer.from(read ? sidecarToXml(read.sidecar) : '', 'utf8'), `${entry.name}.xml`, { mtime });
        }
        if (entry.notesPath) zip.addBuffer(Buffer.from(await ctx.recordings.readNotes(entry.name), 'utf8'), `${entry.name}.txt`, { mtime });
      }
      zip.end();
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
      reply.hijack();
      reply.raw.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Disposition': attachment(`recordings-${stamp}.zip`), 'Cache-Control': 'no-store' });
      ctx.audit.write(account.name, 'export', { recordings: names });
      await streamOut(ctx, reply, zip.outputStream as Readable);
    },
  });
}
