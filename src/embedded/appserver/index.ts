export { EmbeddedAppServer } from './app-server.js';
export type { AppServerCall, AppServerMessage, EmbeddedAppServerOptions } from './app-server.js';
