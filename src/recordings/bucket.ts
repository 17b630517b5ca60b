// An S3-compatible bucket as the recordings' home: the same names and month folders as the store's tree, as
// object keys under a prefix (`<prefix>YYYY_MM/<name>.<ext>`). Objects are written whole (a PUT is atomic: an
// object is there complete or not at all), so the store's commit order carries over: sidecar and notes first, the
// audio last. Reads of audio are ranged GETs (a player seeks without fetching the file), read ahead in blocks.
//
// The AWS SDK is loaded when a bucket is configured, not before: a recorder without one never loads it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { dirname } from 'node:path';
import type { PositionalFile } from '../platform/crypto/index.js';
import { fsyncDir, tempPathIn } from '../platform/util/index.js';

export interface BucketSettings {
  /** The S3 endpoint (an S3-compatible server's URL); absent: AWS S3 in `region`. */
  readonly endpoint?: string;
  readonly region: string;
  readonly name: string;
  /** Key prefix of this store ('' or ending in '/'), e.g. a tenant's folder in a shared bucket. */
  readonly prefix: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need. */
  readonly forcePathStyle: boolean;
  /** Object lock (WORM) on every object written, where the bucket has object lock enabled. */
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number };
  /**
   * When a recording's retention ends (its policy: start + period), by its file name: the object lock then runs
   * to that date instead of `days` from now — the bucket enforces the policy. Undefined: `days` from now.
   */
  readonly retainUntil?: (file: string) => Date | undefined;
}

/** An object of the bucket: file name within its month, size, and when it was written. */
export interface BucketObject {
  readonly file: string;
  readonly size: number;
  readonly modified: Date;
}

/** A bucket that cannot be reached or refused a request (named, with the operation and the reason). */
export class BucketError extends Error {
  constructor(
    readonly operation: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${operation} ${key}: ${reason}`);
    this.name = 'BucketError';
  }
}

/** Bytes fetched per ranged GET: a player's 64 KB reads and the decryptor's 1 MB batches cost one request each. */
const READ_AHEAD = 1024 * 1024;
const MONTH = /^\d{4}_\d{2}$/;
const SILENT_LOGGER = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

type Sdk = typeof import('@aws-sdk/client-s3');

let sdk: Promise<Sdk> | undefined;
function loadSdk(): Promise<Sdk> {
  // The SDK warns on every load that its releases after January 2027 need Node 22; the README says so once.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  sdk ??= import('@aws-sdk/client-s3');
  return sdk;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}

function reasonOf(error: unknown): string {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message || error.name : String(error);
  return status !== undefined ? `${message} (HTTP ${status})` : message;
}

export class RecordingBucket {
  readonly #settings: BucketSettings;
  #client: S3Client | undefined;

  constructor(settings: BucketSettings) {
    this.#settings = { ...settings, prefix: settings.prefix === '' || settings.prefix.endsWith('/') ? settings.prefix : `${settings.prefix}/` };
  }

  /** Where the recordings are, for messages: s3://bucket/prefix. */
  get where(): string {
    return `s3://${this.#settings.name}/${this.#settings.prefix}`;
  }

  get objectLock(): BucketSettings['objectLock'] {
    return this.#settings.objectLock;
  }

  /** The object key of `file` in month folder `month`. */
  keyOf(month: string, file: string): string {
    return `${this.#settings.prefix}${month}/${file}`;
  }

  /** The address of an object, for messages and the StoredRecording paths: s3://bucket/key. */
  urlOf(month: string, file: string): string {
    return `s3://${this.#settings.name}/${this.keyOf(month, file)}`;
  }

  async #s3(): Promise<{ client: S3Client; sdk: Sdk }> {
    const loaded = await loadSdk();
    if (!this.#client) {
      const s = this.#settings;
      this.#client = new loaded.S3Client({
        region: s.region,
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
        forcePathStyle: s.forcePathStyle,
        credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
        // Retries are the service's (its journal waits and tries again); one short try each here.
        maxAttempts: 2,
        // Content-MD5 guards each body; the SDK's newer default (aws-chunked bodies with a checksum trailer) is
        // not understood by every S3-compatible server, and one that stores the chunk framing corrupts the object.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // Failures come back as errors and are reported by the caller with the object's name: the SDK's own
        // console warnings would only repeat them without it.
        logger: SILENT_LOGGER,
      });
    }
    return { client: this.#client, sdk: loaded };
  }

  async #call<T>(operation: string, key: string, run: (s3: { client: S3Client; sdk: Sdk }) => Promise<T>): Promise<T> {
    const s3 = await this.#s3();
    try {
      return await run(s3);
    } catch (error) {
      if (error instanceof BucketError) throw error;
      throw new BucketError(operation, key, reasonOf(error));
    }
  }

  /** Size and time of an object; undefined when it is not there. */
  async head(month: string, file: string): Promise<BucketObject | undefined> {
    const key = this.keyOf(month, file);
    const s3 = await this.#s3();
    try {
      const head = await s3.client.send(new s3.sdk.HeadObjectCommand({ Bucket: this.#settings.name, Key: key }));
      return { file, size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new BucketError('HEAD', key, reasonOf(error));
    }
  }

  /** A small object whole (sidecar, notes); undefined when it is not there. */
  async getBytes(month: string, file: string): Promise<Buffer | undefined> {
    const key = this.keyOf(month, file);
    const s3 = await this.#s3();
    try {
      const got = await s3.client.send(new s3.sdk.GetObjectCommand({ Bucket: this.#settings.name, Key: key }));
      return Buffer.from(await got.Body!.transformToByteArray());
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new BucketError('GET', key, reasonOf(error));
    }
  }

  /** Bytes [start, end] (inclusive, as HTTP ranges are) of an object. */
  async getRange(month: string, file: string, start: number, end: number): Promise<Buffer> {
    const key = this.keyOf(month, file);
    return this.#call('GET', key, async ({ client, sdk }) => {
      const got = await client.send(new sdk.GetObjectCommand({ Bucket: this.#settings.name, Key: key, Range: `bytes=${start}-${end}` }));
      return Buffer.from(await got.Body!.transformToByteArray());
    });
  }

  /** An object copied to a local file (written under a temporary name, synced, then renamed). */
  async download(month: string, file: string, target: string): Promise<void> {
    const key = this.keyOf(month, file);
    const temp = tempPathIn(dirname(target), '.download');
    try {
      await this.#call('GET', key, async ({ client, sdk }) => {
        const got = await client.send(new sdk.GetObjectCommand({ Bucket: this.#settings.name, Key: key }));
        const handle = await open(temp, 'wx', 0o600);
        try {
          for await (const piece of got.Body as Readable) await handle.write(piece as Buffer);
          await handle.sync();
        } finally {
          await handle.close();
        }
      });
      await rename(temp, target);
      await fsyncDir(dirname(target));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  /**
   * Write an object from a local file, with its MD5 so the server refuses a body damaged on the way, and the
   * object lock where configured. The size is checked afterwards: a PUT answered is a PUT kept.
   */
  async putFile(month: string, file: string, source: string): Promise<void> {
    const key = this.keyOf(month, file);
    const { size } = await stat(source);
    const md5 = createHash('md5');
    for await (const piece of createReadStream(source)) md5.update(piece as Buffer);
    await this.#put(key, file, () => createReadStream(source), size, md5.digest('base64'));
    const kept = await this.head(month, file);
    if (kept?.size !== size) throw new BucketError('PUT', key, `the bucket keeps ${kept ? `${kept.size} bytes` : 'nothing'} of the ${size} written`);
  }

  /** Write a small object from memory. */
  async putBytes(month: string, file: string, bytes: Uint8Array): Promise<void> {
    const key = this.keyOf(month, file);
    await this.#put(key, file, () => Buffer.from(bytes), bytes.length, createHash('md5').update(bytes).digest('base64'));
  }

  async #put(key: string, file: string, body: () => Readable | Buffer, size: number, md5: string): Promise<void> {
    await this.#call('PUT', key, ({ client, sdk }) =>
      client.send(new sdk.PutObjectCommand({ Bucket: this.#settings.name, Key: key, Body: body(), ContentLength: size, ContentMD5: md5, ...this.#lockHeaders(file) })),
    );
  }

  /**
   * The object lock of a new object, when configured: until its recording's retention ends (the policy mirrored),
   * or the configured days from now; none when that end has passed (the sweep deletes it next).
   */
  #lockHeaders(file: string): { ObjectLockMode?: 'GOVERNANCE' | 'COMPLIANCE'; ObjectLockRetainUntilDate?: Date } {
    const lock = this.#settings.objectLock;
    if (!lock) return {};
    const until = this.#settings.retainUntil?.(file) ?? new Date(Date.now() + lock.days * 86_400_000);
    return until.getTime() > Date.now() ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: until } : {};
  }

  /** Copy an object within the bucket (a rename is a copy, then a delete). */
  async copy(month: string, from: string, to: string): Promise<void> {
    const key = this.keyOf(month, to);
    const source = `${this.#settings.name}/${encodeURIComponent(this.keyOf(month, from)).replace(/%2F/g, '/')}`;
    await this.#call('COPY', key, ({ client, sdk }) => client.send(new sdk.CopyObjectCommand({ Bucket: this.#settings.name, Key: key, CopySource: source, ...this.#lockHeaders(to) })));
  }

  /** Delete an object (nothing when it is not there). Under object lock, the bucket refuses until the lock ends. */
  async remove(month: string, file: string): Promise<void> {
    const key = this.keyOf(month, file);
    await this.#call('DELETE', key, ({ client, sdk }) => client.send(new sdk.DeleteObjectCommand({ Bucket: this.#settings.name, Key: key })));
  }

  /** The pages of a listing under `prefix` (with `/` as delimiter: the folders below it as common prefixes). */
  async *#listing(prefix: string, delimiter?: '/'): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.#call('LIST', prefix || '/', ({ client, sdk }) =>
        client.send(new sdk.ListObjectsV2Command({ Bucket: this.#settings.name, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}), ...(token ? { ContinuationToken: token } : {}) })),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** The objects of a month folder, in key order. */
  async list(month: string): Promise<BucketObject[]> {
    const prefix = this.keyOf(month, '');
    const objects: BucketObject[] = [];
    for await (const page of this.#listing(prefix)) {
      for (const object of page.Contents ?? []) {
        const file = object.Key?.slice(prefix.length) ?? '';
        if (file === '' || file.includes('/')) continue;
        objects.push({ file, size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) });
      }
    }
    return objects;
  }

  /** Month folders present, oldest first. */
  async months(): Promise<string[]> {
    const prefix = this.#settings.prefix;
    const months: string[] = [];
    for await (const page of this.#listing(prefix, '/')) {
      for (const common of page.CommonPrefixes ?? []) {
        const month = (common.Prefix ?? '').slice(prefix.length).replace(/\/$/, '');
        if (MONTH.test(month)) months.push(month);
      }
    }
    return months.sort();
  }

  /** Whether the bucket answers (a listing of one key). */
  async check(): Promise<void> {
    const prefix = this.#settings.prefix;
    await this.#call('LIST', prefix || '/', ({ client, sdk }) => client.send(new sdk.ListObjectsV2Command({ Bucket: this.#settings.name, Prefix: prefix, MaxKeys: 1 })));
  }

  /** An object opened for reads at any position (ranged GETs, read ahead in 1 MB blocks). */
  openObject(month: string, file: string, size: number): PositionalFile {
    let block: { start: number; bytes: Buffer } | undefined;
    const fetch = async (position: number): Promise<{ start: number; bytes: Buffer }> => {
      if (block && position >= block.start && position < block.start + block.bytes.length) return block;
      const end = Math.min(size, position + READ_AHEAD) - 1;
      block = { start: position, bytes: await this.getRange(month, file, position, end) };
      return block;
    };
    return {
      read: async (buffer, offset, length, position) => {
        let done = 0;
        while (done < length && position + done < size) {
          const got = await fetch(position + done);
          const from = position + done - got.start;
          const take = Math.min(length - done, got.bytes.length - from);
          if (take <= 0) break;
          buffer.set(got.bytes.subarray(from, from + take), offset + done);
          done += take;
        }
        return { bytesRead: done };
      },
      stat: async () => ({ size }),
      close: async () => {
        block = undefined;
      },
    };
  }

  /** Close the client's connections. */
  close(): void {
    this.#client?.destroy();
    this.#client = undefined;
  }
}
