// The player's audit log: JSON lines of who logged in, played, exported, changed or deleted what.
import { appendFile } from 'node:fs/promises';

export class AuditLog {
  constructor(
    readonly path: string | undefined,
    private readonly onError: (error: unknown) => void,
  ) {}

  write(user: string, action: string, detail: Record<string, unknown> = {}): void {
    if (!this.path) return;
    appendFile(this.path, `${JSON.stringify({ at: new Date().toISOString(), user, action, ...detail })}\n`).catch(this.onError);
  }
}
