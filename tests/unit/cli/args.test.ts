import { describe, expect, it } from 'vitest';
import { DEFAULT_SERVER, parseArgs, showsUsage, usageErrorMessage, USAGE, type UsageError } from '../../../app/cli/args.ts';
import { loadConfig } from '../../../signal-server/config.ts';
import { shareLink } from '../../../app/src/transfer/link.ts';

const ADDRESS = {
  peerId: 'k3v9x0q2m7w1z8c4b6n5',
  secret: 'q1w2e3r4t5y6u7i8o9p0aA',
  senderKey: 'A'.repeat(42) + 'E',
};
const LINK = shareLink('https://ferry.example', ADDRESS);

describe('ferry send', () => {
  it('takes files and folders, sharing through the default server', () => {
    expect(parseArgs(['send', 'a.txt', 'photos/'], {})).toEqual({
      ok: true,
      command: { name: 'send', paths: ['a.txt', 'photos/'], server: DEFAULT_SERVER, text: null },
    });
  });

  it('defaults to the port `npm start` serves on', () => {
    expect(new URL(DEFAULT_SERVER).port).toBe(String(loadConfig([], {}).port));
  });

  it('takes the server from --server, in either form, before FERRY_SERVER, and keeps its origin', () => {
    const env = { FERRY_SERVER: 'https://env.example' };
    expect(parseArgs(['send', 'a', '--server', 'https://flag.example/'], env)).toMatchObject({ command: { server: 'https://flag.example' } });
    expect(parseArgs(['send', '--server=http://10.0.0.2:9000', 'a'], env)).toMatchObject({ command: { server: 'http://10.0.0.2:9000' } });
    expect(parseArgs(['send', 'a'], env)).toMatchObject({ command: { server: 'https://env.example' } });
    expect(parseArgs(['send', 'a'], { FERRY_SERVER: '  ' })).toMatchObject({ command: { server: DEFAULT_SERVER } });
  });

  it.each([
    ['ftp://ferry.example', '--server'],
    ['ferry.example', '--server'],
    ['https://ferry.example/share', '--server'],
    ['https://user:pass@ferry.example', '--server'],
  ])('refuses %s as a server', (server, from) => {
    expect(parseArgs(['send', 'a', '--server', server], {})).toEqual({ ok: false, error: { code: 'bad-server', server, from } });
  });

  it('says when a bad server came from FERRY_SERVER', () => {
    expect(parseArgs(['send', 'a'], { FERRY_SERVER: 'nope' })).toEqual({
      ok: false,
      error: { code: 'bad-server', server: 'nope', from: 'FERRY_SERVER' },
    });
  });

  it('takes paths that look like options after --, and - as a path', () => {
    expect(parseArgs(['send', '-', '--', '--help', '-o'], {})).toMatchObject({ command: { paths: ['-', '--help', '-o'] } });
  });

  it('needs something to send', () => {
    expect(parseArgs(['send'], {})).toEqual({ ok: false, error: { code: 'no-paths' } });
    expect(parseArgs(['send', '--server', 'https://ferry.example'], {})).toEqual({ ok: false, error: { code: 'no-paths' } });
  });
});

describe('ferry receive', () => {
  it('reads the server and the share address from the link, into the current folder by default', () => {
    expect(parseArgs(['receive', LINK], {})).toEqual({
      ok: true,
      command: { name: 'receive', server: 'https://ferry.example', address: ADDRESS, out: '.' },
    });
  });

  it('takes the folder from --out, --out= or -o', () => {
    for (const argv of [['receive', LINK, '--out', 'in'], ['receive', '--out=in', LINK], ['receive', '-o', 'in', LINK]]) {
      expect(parseArgs(argv, {})).toMatchObject({ ok: true, command: { out: 'in' } });
    }
  });

  it.each([
    ['https://ferry.example/', 'not-a-link'],
    ['ferry.example/#/r/x', 'not-a-link'],
    ['javascript:alert(1)//#/r/x', 'not-a-link'],
    [`https://ferry.example/#/r/${ADDRESS.peerId}`, 'incomplete'],
    [`https://ferry.example/#/r/${ADDRESS.peerId}/${ADDRESS.secret}`, 'incomplete'],
    [LINK.slice(0, -3), 'incomplete'],
    [`${LINK}!`, 'damaged-key'],
    ['https://ferry.example/#/r/short/x', 'no-sender-id'],
  ])('refuses %s as %s', (link, reason) => {
    expect(parseArgs(['receive', link], {})).toEqual({ ok: false, error: { code: 'bad-link', reason } });
  });

  it('needs exactly one link', () => {
    expect(parseArgs(['receive'], {})).toEqual({ ok: false, error: { code: 'no-link' } });
    expect(parseArgs(['receive', LINK, 'more'], {})).toEqual({ ok: false, error: { code: 'extra-argument', argument: 'more' } });
  });

  it('refuses --server: the link says where the sender is', () => {
    expect(parseArgs(['receive', LINK, '--server', 'https://other.example'], {})).toEqual({
      ok: false,
      error: { code: 'option-of-other-command', option: '--server', command: 'send', used: 'receive' },
    });
  });
});

describe('ferry hash', () => {
  it('takes the files as given, - among them, and paths that look like options after --', () => {
    expect(parseArgs(['hash', 'a.iso', '-', 'photos/b.jpg'], {})).toEqual({ ok: true, command: { name: 'hash', paths: ['a.iso', '-', 'photos/b.jpg'] } });
    expect(parseArgs(['hash', '--', '-o', '--help'], {})).toEqual({ ok: true, command: { name: 'hash', paths: ['-o', '--help'] } });
  });

  it('needs a file, and says so with the usage', () => {
    expect(parseArgs(['hash'], {})).toEqual({ ok: false, error: { code: 'no-files-to-hash' } });
    expect(showsUsage({ code: 'no-files-to-hash' })).toBe(true);
    expect(usageErrorMessage({ code: 'no-files-to-hash' })).toBe('hash needs at least one file, or - for standard input');
  });

  it('takes no options of the other commands', () => {
    expect(parseArgs(['hash', 'a', '-o', 'x'], {})).toEqual({ ok: false, error: { code: 'option-of-other-command', option: '-o', command: 'receive', used: 'hash' } });
  });
});

describe('the command line as a whole', () => {
  it('answers --help and --version wherever they are, even next to a mistake', () => {
    expect(parseArgs(['--help'], {})).toEqual({ ok: true, command: { name: 'help' } });
    expect(parseArgs(['send', '-h', '--bogus'], {})).toEqual({ ok: true, command: { name: 'help' } });
    expect(parseArgs(['-V'], {})).toEqual({ ok: true, command: { name: 'version' } });
    expect(parseArgs(['receive', '--version'], {})).toEqual({ ok: true, command: { name: 'version' } });
  });

  it.each<[string[], UsageError]>([
    [[], { code: 'no-command' }],
    [['fetch', 'x'], { code: 'unknown-command', command: 'fetch' }],
    [['send', 'a', '--verbose'], { code: 'unknown-option', option: '--verbose' }],
    [['send', 'a', '--verbose=yes'], { code: 'unknown-option', option: '--verbose' }],
    [['send', 'a', '--server'], { code: 'missing-value', option: '--server' }],
    [['send', 'a', '--server='], { code: 'missing-value', option: '--server' }],
    [['receive', LINK, '-o', '--out', 'x'], { code: 'missing-value', option: '-o' }],
    [['send', 'a', '--out', 'x'], { code: 'option-of-other-command', option: '--out', command: 'receive', used: 'send' }],
    [['hash', 'a', '--server', 'x'], { code: 'option-of-other-command', option: '--server', command: 'send', used: 'hash' }],
  ])('reports %j as %j', (argv, error) => {
    expect(parseArgs(argv, {})).toEqual({ ok: false, error });
  });

  it('puts each error’s details into its sentence (the compiler checks every code has one)', () => {
    expect(usageErrorMessage({ code: 'unknown-option', option: '--verbose' })).toBe('unknown option --verbose');
    expect(usageErrorMessage({ code: 'bad-server', server: 'nope', from: 'FERRY_SERVER' })).toContain('FERRY_SERVER "nope"');
    expect(usageErrorMessage({ code: 'option-of-other-command', option: '--server', command: 'send', used: 'receive' })).toContain('the server in the link');
    expect(usageErrorMessage({ code: 'option-of-other-command', option: '--server', command: 'send', used: 'hash' })).toBe('--server is for send');
    expect(usageErrorMessage({ code: 'bad-link', reason: 'not-a-link' })).toContain('#/r/');
    expect(USAGE).toMatch(/ferry send .*\n\s+ferry receive .*\n\s+ferry hash/);
  });

  it('shows the usage for a command line of the wrong shape, not for a bad link or server, which their line explains', () => {
    const shaped: UsageError[] = [{ code: 'no-command' }, { code: 'unknown-option', option: '--verbose' }, { code: 'no-link' }, { code: 'no-paths' }];
    expect(shaped.map(showsUsage)).toEqual([true, true, true, true]);
    expect(showsUsage({ code: 'bad-link', reason: 'damaged-key' })).toBe(false);
    expect(showsUsage({ code: 'bad-server', server: 'nope', from: '--server' })).toBe(false);
    expect(usageErrorMessage({ code: 'bad-link', reason: 'damaged-key' })).toMatch(/copy the whole link again/);
  });
});
