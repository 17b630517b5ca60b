import { FieldError } from '../platform/util/index.js';
/** An HTTP request refused: the status and a message safe to show to the client (never a path or a key). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Bad account data (CLI or API): names the field and the reason. */
export class AccountError extends FieldError {}
