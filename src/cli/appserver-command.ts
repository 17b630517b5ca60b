// `recorder appserver`: the embedded AppServer for the player link (the demo's, or one to try the link against).
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { EmbeddedAppServer } from '../embedded/index.js';
import { CommandExit, EXIT_USAGE, portNumber, untilStopped } from './exit-codes.js';

export function registerAppServerCommand(program: Command): void {
  program
    .command('appserver')
    .description('an AppServer for the player link: the recorder connects to it; prints FRST/LAST, sends the commands you type (TRAC!player!track, STOP!player, …)')
    .option('--host <address>', 'listen on this address (loopback by default)', '127.0.0.1')
    .option('--port <port>', 'TCP port the recorder connects to ([player] appServer)', portNumber, 4444)
    .option('--web-port <port>', 'also serve a web page with the calls and play buttons on this port (0: any free one)', portNumber)
    .action(async (flags: { host: string; port: number; webPort?: number }) => {
      const appServer = new EmbeddedAppServer({ host: flags.host, port: flags.port, ...(flags.webPort !== undefined ? { webPort: flags.webPort } : {}) });
      let started;
      try {
        started = await appServer.start();
      } catch (error) {
        process.stderr.write(`recorder appserver: cannot listen on ${flags.host}:${flags.port}: ${error instanceof Error ? error.message : String(error)}\n`);
        throw new CommandExit(EXIT_USAGE);
      }
      process.stdout.write(`AppServer listening on ${started.address}: set [player] appServer = "${started.address}" for recorder serve\n`);
      if (started.webUrl) process.stdout.write(`Web page at ${started.webUrl}/\n`);
      process.stdout.write('Type a command to send it (TRAC!<player>!<track>, STOP!<player>, PAUS!…, PLAY!…, EJEC!…); Ctrl-C to stop.\n');
      appServer.on('connection', (peer) => process.stdout.write(`${new Date().toISOString()}  recorder connected from ${peer}\n`));
      appServer.on('disconnect', (peer) => process.stdout.write(`${new Date().toISOString()}  recorder ${peer} disconnected\n`));
      appServer.on('message', (message) => process.stdout.write(`${new Date(message.at).toISOString()}  < ${message.line}\n`));
      const input = process.stdin.isTTY || process.stdin.readable ? createInterface({ input: process.stdin }) : undefined;
      input?.on('line', (line) => {
        const command = line.trim();
        if (command === '') return;
        const sentTo = appServer.send(command);
        process.stdout.write(sentTo > 0 ? `> ${command}\n` : 'no recorder connected: not sent\n');
      });
      await untilStopped();
      input?.close();
      await appServer.stop();
    });
}
