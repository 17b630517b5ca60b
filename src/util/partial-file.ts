import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

/**
 * A file written under `<path>.partial` and renamed into place when complete
 * (after fsync unless `durable: false`): a reader never sees a half-written
 * file under the final name, and a failed write leaves nothing behind.
 */
export class PartialFile {
  private readonly fd: number;
  private readonly partialPath: string;
  private done = false;
  /** Bytes written so far (the append position). */
  position = 0;

  constructor(
    readonly path: string,
    private readonly durable = true,
  ) {
    this.partialPath = `${path}.partial`;
    this.fd = openSync(this.partialPath, 'w', 0o644);
  }

  /** Append at the current position. */
  append(bytes: Uint8Array): void {
    this.writeAt(bytes, this.position);
    this.position += bytes.length;
  }

  /** Write at a given offset (headers patched at the end). */
  writeAt(bytes: Uint8Array, offset: number): void {
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, offset + written);
  }

  /** fsync (when durable), close and rename into place. */
  commit(): void {
    if (this.done) throw new Error(`${this.path}: already finished`);
    this.done = true;
    if (this.durable) fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.partialPath, this.path);
  }

  /** Abandon: close and remove the partial file. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    closeSync(this.fd);
    try {
      unlinkSync(this.partialPath);
    } catch {
      // already gone
    }
  }
}
