import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TrowelError } from '../../oci/error.js';
import { hostPlatform } from '../../oci/platform.js';
import { parseTargetPlatform, targetPlatforms } from './target-platform.js';

function refused(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TrowelError);
    assert.is((e as TrowelError).exitCode, 125);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable('should have thrown');
}

test('os/arch[/variant] with aliases and case normalized; bare arm is arm/v7', () => {
  assert.equal(parseTargetPlatform('linux/arm64'), { os: 'linux', architecture: 'arm64' });
  assert.equal(parseTargetPlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.equal(parseTargetPlatform('Linux/X86_64'), { os: 'linux', architecture: 'amd64' });
  assert.equal(parseTargetPlatform('linux/aarch64'), { os: 'linux', architecture: 'arm64' });
  assert.equal(parseTargetPlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(parseTargetPlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v6' });
  assert.equal(parseTargetPlatform('windows/amd64'), { os: 'windows', architecture: 'amd64' });
});

test('malformed or unknown platforms are refused, naming the text', () => {
  refused(() => parseTargetPlatform('linux'), /parse platform "linux": want os\/arch/);
  refused(() => parseTargetPlatform('linux/'), /parse platform "linux\/"/);
  refused(() => parseTargetPlatform('linux/arm64/v8/extra'), /want os\/arch/);
  refused(() => parseTargetPlatform('linux/z80'), /unknown architecture "z80"/);
  refused(() => parseTargetPlatform('amiga/arm64'), /unknown operating system "amiga"/);
  refused(() => parseTargetPlatform('linux/arm/7'), /variant "7" is not of the form vN/);
});

test('--platform lists: comma-separated and repeated, in order, without repeats', () => {
  assert.equal(targetPlatforms({ platforms: ['linux/arm64,linux/amd64', 'linux/arm64', 'linux/s390x'] }).map((p) => p.architecture), ['arm64', 'amd64', 's390x']);
  assert.equal(targetPlatforms({ platforms: ['linux/x86_64', 'linux/amd64'] }).length, 1, 'an alias is the same platform');
  assert.equal(targetPlatforms({}), [], 'no flag: a plain host build');
  refused(() => targetPlatforms({ platforms: [','] }), /parse platform/);
});

test('--os/--arch/--variant complete each other from the host, and cannot join --platform', () => {
  const host = hostPlatform();
  assert.equal(targetPlatforms({ arch: 'arm64' }), [{ os: host.os, architecture: 'arm64' }]);
  assert.equal(targetPlatforms({ arch: 'arm', variant: 'v6' }), [{ os: host.os, architecture: 'arm', variant: 'v6' }]);
  assert.equal(targetPlatforms({ os: 'linux' })[0]!.architecture, host.architecture);
  refused(() => targetPlatforms({ platforms: ['linux/amd64'], arch: 'arm64' }), /--platform cannot be used with --os, --arch or --variant/);
  refused(() => targetPlatforms({ arch: 'vax' }), /unknown architecture "vax"/);
});

test.run();
