// Encryption and integrity of recordings: chunked AES-256-GCM container, keyring, audio signatures.
// Format and choices: README.md in this folder.
export { CONTAINER_MAGIC, CONTAINER_VERSION, DEFAULT_CHUNK_SIZE, HEADER_BYTES, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, TAG_BYTES, ContainerOpener, ContainerSealer, hasContainerMagic, parseHeader } from './container.js';
export type { ContainerHeader, SealOptions } from './container.js';
export { SealedPartialFile } from './sealed-file.js';
export { BadKeyError, CryptoError, NotEncryptedError, TamperedError, TruncatedError, UnknownKeyError, UnsupportedFormatError, WrongPassphraseError } from './errors.js';
export type { CryptoErrorCode } from './errors.js';
export { DEFAULT_SCRYPT, KEY_BYTES, Key, Keyring, createPassphraseKey, deriveSubkey, generateKeyFile, generatePassphraseKeyFile, keyFromPassphrase, keyIdOf, parseKeyFile, readKeyFile, readKeyring } from './keys.js';
export type { KeyFileContent, PassphraseKeyDefinition, ReadKeyOptions, ScryptParameters } from './keys.js';
export { DataKeyVault } from './data-keys.js';
export type { ErasedKey } from './data-keys.js';
export { openEncryptedFile } from './random-access.js';
export type { EncryptedFile, PositionalFile } from './random-access.js';
export { SIGNATURE_ALGORITHM, checkSignature, digestFile, recordingNameOf, unsignedSidecarDigest, openSidecar, sealSidecar, signDigest, signRecording, signatureFromXml, signatureToXml, verifyDigest, verifyRecording } from './signature.js';
export type { RecordingSignature, RecordingVerdict, SignatureBinding, SignatureCheck } from './signature.js';
export { createDecryptStream, createEncryptStream, decryptBytes, decryptFile, decryptIterable, encryptBytes, encryptFile, resealFile, encryptIterable } from './stream.js';
export type { FileCryptoResult, FileOptions, ResealResult } from './stream.js';
export { containerKeyIdIn, containerKeyIdOf, isEncryptedFile, sidecarPathFor, verifyFile } from './verify.js';
export type { FileVerdict, FileVerification } from './verify.js';
