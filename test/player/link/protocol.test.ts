import { describe, expect, it } from 'vitest';
import { LineReader, commandMessage, firstMessage, lastMessage, parseCommand } from '../../../src/player/link/index.js';

describe('player link messages', () => {
  it('FRST and LAST as the reference writes them; "!" and line breaks in a value cannot split a record', () => {
    expect(firstMessage({ extension: '24', uid: 'c03a55c2e909d311b6450090331b3e3b', agent: 'Rossi' })).toBe('!FRST!24!c03a55c2e909d311b6450090331b3e3b!Rossi');
    expect(lastMessage({ extension: '24', uid: '93adee5ee909d311b6450090331b3e3b', track: '2013_09_24_1107_39_o_024_1_93adee5ee909d311b6450090331b3e3b.wav', agent: 'Rossi' })).toBe(
      '!LAST!24!93adee5ee909d311b6450090331b3e3b!2013_09_24_1107_39_o_024_1_93adee5ee909d311b6450090331b3e3b.wav!Rossi',
    );
    expect(firstMessage({ extension: '24', uid: 'u', agent: 'Hi!\r\nTRAC!x!y' })).toBe('!FRST!24!u!Hi___TRAC_x_y');
  });

  it('reads the five commands and throws everything else away', () => {
    expect(parseCommand('TRAC!Rossi!2013_09_24_1107_39.wav')).toEqual({ verb: 'TRAC', player: 'Rossi', track: '2013_09_24_1107_39.wav' });
    for (const verb of ['STOP', 'EJEC', 'PAUS', 'PLAY'] as const) expect(parseCommand(`${verb}!Bianchi`)).toEqual({ verb, player: 'Bianchi' });
    expect(parseCommand('  PLAY!Rossi \t')).toEqual({ verb: 'PLAY', player: 'Rossi' });
    for (const junk of ['', 'RecKA', 'TRAC!Rossi', 'TRAC!!x', 'TRAC!Rossi!', 'TRAC!Rossi!a!b', 'STOP', 'STOP!', 'STOP!a!b', 'trac!Rossi!x', 'JUMP!Rossi', '!FRST!24!u!a', '\u0000\u00ff']) {
      expect(parseCommand(junk), JSON.stringify(junk)).toBeUndefined();
    }
    expect(commandMessage({ verb: 'TRAC', player: 'Rossi', track: 'x.wav' })).toBe('TRAC!Rossi!x.wav');
    expect(commandMessage({ verb: 'EJEC', player: 'Rossi' })).toBe('EJEC!Rossi');
  });

  it('splits lines at CR, LF and CR LF, also across chunks, and skips a line over the limit whole', () => {
    const reader = new LineReader(16);
    expect(reader.push(Buffer.from('a\rb\nc\r\nd'))).toEqual(['a', 'b', 'c']);
    expect(reader.push(Buffer.from('e\r'))).toEqual(['de']);
    expect(reader.push(Buffer.from('\nf\n'))).toEqual(['f']); // the LF of a split CR LF ends nothing
    expect(reader.push(Buffer.from('\r\n\n'))).toEqual(['', '']);
    // 1 MB without a line end, then the end and a good line: the long one is skipped, counted once.
    expect(reader.push(Buffer.alloc(1 << 20, 0x41))).toEqual([]);
    expect(reader.push(Buffer.from('AAAA\nPLAY!x\n'))).toEqual(['PLAY!x']);
    expect(reader.oversized).toBe(1);
    expect(reader.push(Buffer.from('0123456789abcdef\n0123456789abcdefg\nok\n'))).toEqual(['0123456789abcdef', 'ok']);
    expect(reader.oversized).toBe(2);
  });
});
