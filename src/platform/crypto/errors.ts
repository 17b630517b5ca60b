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
    this.name = 'CryptoError';
  }
}

/** Not our container: wrong magic, or too short to hold a header. */
export class NotEncryptedError extends CryptoError {
  constructor(message = 'not an encrypted file') {
    super('not-encrypted', message);
    this.name = 'NotEncryptedError';
  }
}

/** Our magic but a version, cipher suite or chunk size this build does not read. */
export class UnsupportedFormatError extends CryptoError {
  constructor(message: string) {
    super('unsupported', message);
    this.name = 'UnsupportedFormatError';
  }
}

/** The header names a key id that is not in the keyring. */
export class UnknownKeyError extends CryptoError {
  constructor(readonly keyId: string) {
    super('unknown-key', `unknown key ${keyId}: not in the keyring`);
    this.name = 'UnknownKeyError';
  }
}

/** Authentication failed: the bytes were changed, chunks moved or spliced, or the key is not the one used. */
export class TamperedError extends CryptoError {
  constructor(message = 'tampered or wrong key: authentication failed') {
    super('tampered', message);
    this.name = 'TamperedError';
  }
}

/** The file ends early: inside the header, inside a chunk's tag, or at a chunk boundary before the final chunk. */
export class TruncatedError extends CryptoError {
  constructor(message = 'truncated: the file ends before its final chunk') {
    super('truncated', message);
    this.name = 'TruncatedError';
  }
}

/** A key file or key definition that cannot be read as a key. */
export class BadKeyError extends CryptoError {
  constructor(message: string) {
    super('bad-key', message);
    this.name = 'BadKeyError';
  }
}

/** A passphrase that does not derive the key id recorded in its key definition. */
export class WrongPassphraseError extends CryptoError {
  constructor(message = 'wrong passphrase: it does not derive the recorded key id') {
    super('wrong-passphrase', message);
    this.name = 'WrongPassphraseError';
  }
}
