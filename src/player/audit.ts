// The player's audit log: who logged in, played, exported, changed or deleted what — an audit trail (hash-chained
// JSON lines, checkpoints under the system key when the player has it: src/platform/audit).
import { AuditTrail } from '../platform/audit/index.js';
import type { Keyring } from '../platform/crypto/index.js';

export class AuditLog {
  readonly #trail: AuditTrail | undefined;

  constructor(
    readonly path: string | undefined,
    onError: (error: unknown) => void,
    keyring?: Keyring,
  ) {
    this.#trail = path ? new AuditTrail(path, { onError, ...(keyring ? { keyring } : {}) }) : undefined;
  }

  write(user: string, action: string, detail: Record<string, unknown> = {}): void {
    this.#trail?.append(user, action, detail).catch(() => undefined); // told to onError by the trail
  }

  /** Waits for the entries under way and seals the chain with a checkpoint. */
  async close(): Promise<void> {
    await this.#trail?.close();
  }
}
