/** Why an encrypted file, key or signature could not be used. Messages name the file and key id, never key material. */
export type CryptoErrorCode =
  | 'not-encrypted'
  | 'unsupported'
  | 'unknown-key'
  | 'tampered'
  | 'truncated'
  | 'bad-key'
  | 'wrong-passphrase';

export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
    // The class's own name (NotEncryptedError, …), so logs and stack traces say which failure it was.
    this.name = new.target.name;
  }
}

/** A CryptoError class of one code, with the message it carries when none is given. */
function cryptoErrorOf(code: CryptoErrorCode, defaultMessage: string): new (message?: string) => CryptoError {
  return class extends CryptoError {
    constructor(message = defaultMessage) {
      super(code, message);
    }
  };
}

/** Not our container: wrong magic, or too short to hold a header. */
export class NotEncryptedError extends cryptoErrorOf('not-encrypted', 'not an encrypted file') {}

/** Our magic but a version, cipher suite or chunk size this build does not read. */
export class UnsupportedFormatError extends cryptoErrorOf('unsupported', 'unsupported format') {}

/** The header names a key id that is not in the keyring. */
export class UnknownKeyError extends CryptoError {
  constructor(readonly keyId: string) {
    super('unknown-key', `unknown key ${keyId}: not in the keyring`);
  }
}

/** Authentication failed: the bytes were changed, chunks moved or spliced, or the key is not the one used. */
export class TamperedError extends cryptoErrorOf('tampered', 'tampered or wrong key: authentication failed') {}

/** The file ends early: inside the header, inside a chunk's tag, or at a chunk boundary before the final chunk. */
export class TruncatedError extends cryptoErrorOf('truncated', 'truncated: the file ends before its final chunk') {}

/** A key file or key definition that cannot be read as a key. */
export class BadKeyError extends cryptoErrorOf('bad-key', 'not a usable key') {}

/** A passphrase that does not derive the key id recorded in its key definition. */
export class WrongPassphraseError extends cryptoErrorOf('wrong-passphrase', 'wrong passphrase: it does not derive the recorded key id') {}
