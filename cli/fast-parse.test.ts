import { test } from 'uvu';
import * as assert from 'uvu/assert';
import yargs, { type CommandModule } from 'yargs';
import { fastParse } from './fast-parse.js';
import { globalOptions } from './global-options.js';
import commit from './commit.js';
import config from './config.js';
import images from './images.js';
import push from './push.js';
import run from './run.js';
import from from './from.js';
import copy from './copy.js';
import inspect from './inspect.js';

/** What yargs itself makes of argv, with trowel's parser settings (the reference). */
async function yargsParse(mod: CommandModule<any, any>, argv: string[]): Promise<Record<string, unknown> | undefined> {
  let seen: Record<string, unknown> | undefined;
  try {
    await globalOptions(yargs(argv))
      .parserConfiguration({ 'greedy-arrays': false, 'boolean-negation': false, 'camel-case-expansion': false })
      .strict()
      .fail((_m, e) => {
        throw e ?? new Error(_m);
      })
      .command({ ...mod, handler: (a: Record<string, unknown>) => void (seen = { ...a }) })
      .parseAsync();
  } catch {
    return undefined;
  }
  return seen;
}

function strip(a: Record<string, unknown>): Record<string, unknown> {
  const { $0: _, ...rest } = a;
  return JSON.parse(JSON.stringify(rest));
}

const cases: Array<[CommandModule<any, any>, string[]]> = [
  [commit, ['commit', 'c1', 'localhost/x']],
  [commit, ['--root', '/tmp/r', 'commit', '-q', '--format', 'docker', '--timestamp', '5', 'c1']],
  [commit, ['commit', '--rm', '--iidfile=/tmp/i', 'c1', 'img', '--squash']],
  [config, ['config', '--cmd', '/bin/sh -c x', '--port', '80/tcp', '--label', 'a=b', '--label', 'c=d', 'c1']],
  [config, ['config', '--env', 'A=1', '-e', 'B=2', '--healthcheck-retries', '3', 'c1']],
  [images, ['images']],
  [images, ['images', '--json', '-q', '--no-trunc']],
  [images, ['--log-level', 'debug', 'images', '--noheading', 'localhost/app']],
  [push, ['push', '--tls-verify=false', '--digestfile', 'd', 'img', 'docker://h/r:t']],
  [push, ['push', '-D', '--compression-format', 'zstd', 'img']],
  [run, ['run', 'c1', '--', 'sh', '-c', 'echo hi']],
  [run, ['run', '--env', 'A=1', '-v', '/a:/b', '--network', 'none', 'c1', '--', 'ls', '-la']],
  [run, ['run', 'c1', 'true']],
  [from, ['from', '--name', 'n', 'scratch']],
  [copy, ['copy', '--chown', '1:2', '--chmod', '644', 'c1', 'a', 'b', '/dest/']],
  [copy, ['copy', '--add-history', '-q', 'c1', 'a', '/dest/']],
  [config, ['config', '--add-history=false', '--user', '1:2', 'c1']],
  [run, ['run', '--add-history', 'c1', '--', 'true']],
  [inspect, ['inspect', '--type', 'image', '--format', '{{.Config.Cmd}}', 'x']],
];

test('the fast path reads argv exactly as yargs does, or leaves it to yargs', async () => {
  let fast = 0;
  for (const [mod, argv] of cases) {
    const word = argv.find((a, i) => !a.startsWith('-') && !['--root', '--log-level'].includes(argv[i - 1] ?? ''))!;
    const mine = fastParse(mod, globalOptions as never, argv, word);
    const theirs = await yargsParse(mod, argv);
    if (mine === undefined) continue;
    fast++;
    assert.ok(theirs, `yargs rejects ${argv.join(' ')} but the fast path accepted it`);
    assert.equal(strip(mine), strip(theirs!), argv.join(' '));
  }
  assert.ok(fast >= cases.length - 2, `most cases take the fast path (${fast}/${cases.length})`);
});

test('anything unusual goes to yargs: unknown flags, help, missing positionals, extra words', () => {
  const g = globalOptions as never;
  assert.is(fastParse(images, g, ['images', '--bogus'], 'images'), undefined);
  assert.is(fastParse(commit, g, ['commit'], 'commit'), undefined);
  assert.is(fastParse(from, g, ['from', 'a', 'b'], 'from'), undefined);
  assert.is(fastParse(images, g, ['images', '-qa'], 'images'), undefined);
  assert.is(fastParse(commit, g, ['commit', '--rm', 'false', 'c'], 'commit'), undefined);
  assert.is(fastParse(push, g, ['push', '--compression-level', 'x', 'i'], 'push'), undefined);
});

test.run();
