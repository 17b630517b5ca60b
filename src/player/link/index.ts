// The player link: the AppServer's TCP link (FRST/LAST/TRAC…) and the URL interface. See the README's "Player link".
export { AppServerLink } from './app-server-link.js';
export type { AppServerLinkOptions, AppServerLinkStatus } from './app-server-link.js';
export { PlayerLink, uidOfCallId } from './player-link.js';
export type { PlayerLinkOptions, PlayerLinkStatus } from './player-link.js';
export { KEEP_ALIVE, LINE_END, LineReader, commandMessage, firstMessage, lastMessage, parseCommand } from './protocol.js';
export type { FirstRecord, LastRecord } from './protocol.js';
