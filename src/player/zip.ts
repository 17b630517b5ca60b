// A streaming ZIP writer (PKWARE APPNOTE 6.3): each entry's sizes and CRC-32 follow its data in a data
// descriptor, so nothing is buffered whole. Store or deflate (node:zlib raw deflate). No ZIP64: an archive is
// refused past 4 GiB or 65,535 entries (an export holds at most a few hundred recordings' files).
import { once } from 'node:events';
import { createDeflateRaw } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive (forward slashes, UTF-8). */
  readonly name: string;
  readonly data: () => AsyncIterable<Buffer>;
  readonly method: 'store' | 'deflate';
  readonly modified?: Date;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as ZIP and gzip use) continued from `crc` over `bytes`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(2107, Math.max(1980, date.getFullYear()));
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

async function* deflateRaw(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const deflate = createDeflateRaw({ level: 6 });
  const feeding = (async () => {
    for await (const piece of source) if (!deflate.write(piece)) await once(deflate, 'drain');
    deflate.end();
  })();
  feeding.catch((error: unknown) => deflate.destroy(error instanceof Error ? error : new Error(String(error))));
  for await (const out of deflate) yield out as Buffer;
  await feeding;
}

const LIMIT = 0xffffffff;
const FLAGS = 0x0008 | 0x0800; // sizes in a data descriptor; UTF-8 names

/** The archive as a stream of buffers. */
export async function* zipStream(entries: Iterable<ZipEntry>): AsyncGenerator<Buffer> {
  const central: Buffer[] = [];
  let offset = 0;
  let count = 0;
  for (const entry of entries) {
    if (++count > 0xffff) throw new Error('zip: more than 65,535 entries');
    const name = Buffer.from(entry.name.replace(/\\/g, '/'), 'utf8');
    const method = entry.method === 'deflate' ? 8 : 0;
    const { time, date } = dosDateTime(entry.modified ?? new Date());
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(FLAGS, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt16LE(name.length, 26);
    const headerOffset = offset;
    yield local;
    yield name;
    offset += local.length + name.length;

    let crc = 0;
    let plainBytes = 0;
    let storedBytes = 0;
    const plain = (async function* (): AsyncGenerator<Buffer> {
      for await (const piece of entry.data()) {
        crc = crc32(piece, crc);
        plainBytes += piece.length;
        yield piece;
      }
    })();
    for await (const out of method === 8 ? deflateRaw(plain) : plain) {
      storedBytes += out.length;
      if (offset + storedBytes > LIMIT) throw new Error('zip: archive larger than 4 GiB');
      yield out;
    }
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(storedBytes, 8);
    descriptor.writeUInt32LE(plainBytes, 12);
    yield descriptor;
    offset += storedBytes + descriptor.length;

    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(20, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt16LE(FLAGS, 8);
    record.writeUInt16LE(method, 10);
    record.writeUInt16LE(time, 12);
    record.writeUInt16LE(date, 14);
    record.writeUInt32LE(crc, 16);
    record.writeUInt32LE(storedBytes, 20);
    record.writeUInt32LE(plainBytes, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt32LE(headerOffset, 42);
    central.push(record, name);
  }
  const directory = Buffer.concat(central);
  if (offset + directory.length > LIMIT) throw new Error('zip: archive larger than 4 GiB');
  yield directory;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  yield end;
}
