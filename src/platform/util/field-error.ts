/**
 * Input refused because of one field: the error names the field and the reason (and, where the field name alone
 * would not say what was being read, the thing it belongs to), so a user can find and fix it.
 */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
    what?: string,
  ) {
    super(`${what ? `${what}: ` : ''}${field}: ${reason}`);
    this.name = new.target.name;
  }
}
