import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostPlatform } from '../../oci/platform.js';
import { assertCanRun, emulatorWarning, EmulatorMissingError, findEmulator, findEmulatorHandler, runsNatively } from './emulation.js';

// A directory laid out like /proc/sys/fs/binfmt_misc, with handlers as the kernel shows them.
let dir = '';
const handler = (enabled: boolean, interpreter: string, flags = 'OCF') =>
  `${enabled ? 'enabled' : 'disabled'}\ninterpreter ${interpreter}\nflags: ${flags}\noffset 0\nmagic 7f454c46\nmask ffffffff\n`;

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'trowel-binfmt-'));
  writeFileSync(join(dir, 'status'), 'enabled\n');
  writeFileSync(join(dir, 'register'), '');
  writeFileSync(join(dir, 'qemu-aarch64'), handler(true, '/usr/libexec/qemu-binfmt/aarch64-binfmt-P'));
  writeFileSync(join(dir, 'qemu-s390x'), handler(false, '/usr/bin/qemu-s390x-static'));
  writeFileSync(join(dir, 'riscv'), handler(true, '/usr/bin/qemu-riscv64-static', ''));
  writeFileSync(join(dir, 'python3.11'), handler(true, '/usr/bin/python3.11'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a handler counts when enabled and named, or interpreted, qemu-<arch>', () => {
  assert.is(findEmulator({ os: 'linux', architecture: 'arm64' }, dir), 'qemu-aarch64');
  assert.is(findEmulator({ os: 'linux', architecture: 'riscv64' }, dir), 'riscv', 'matched by its interpreter');
  assert.is(findEmulator({ os: 'linux', architecture: 's390x' }, dir), undefined, 'disabled');
  assert.is(findEmulator({ os: 'linux', architecture: 'ppc64le' }, dir), undefined, 'none registered');
  assert.is(findEmulator({ os: 'linux', architecture: 'arm64' }, join(dir, 'not-mounted')), undefined);
});

test('the F flag is read: without it, a warning names the interpreter the image would need', () => {
  assert.equal(findEmulatorHandler({ os: 'linux', architecture: 'arm64' }, dir), { name: 'qemu-aarch64', interpreter: '/usr/libexec/qemu-binfmt/aarch64-binfmt-P', fixBinary: true });
  const riscv = { os: 'linux', architecture: 'riscv64' };
  const h = findEmulatorHandler(riscv, dir);
  assert.is(h?.fixBinary, false);
  assert.match(emulatorWarning(riscv, h) ?? '', /^RUN for linux\/riscv64: the binfmt_misc handler riscv has no F \(fix-binary\) flag, so its interpreter \/usr\/bin\/qemu-riscv64-static must exist/);
  assert.is(emulatorWarning(riscv, undefined), undefined, 'native: nothing to say');
  assert.is(emulatorWarning({ os: 'linux', architecture: 'arm64' }, findEmulatorHandler({ os: 'linux', architecture: 'arm64' }, dir)), undefined);
});

test('the host runs its own platform (and 386 on amd64, arm on arm64) without emulation', () => {
  const host = hostPlatform();
  assert.ok(runsNatively(host));
  assert.ok(runsNatively({ os: 'linux', architecture: '386' }, { os: 'linux', architecture: 'amd64' }));
  assert.ok(runsNatively({ os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  assert.not.ok(runsNatively({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: '386' }));
  assert.not.ok(runsNatively({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'amd64' }));
  assert.not.ok(runsNatively({ os: 'windows', architecture: host.architecture }));
});

test('assertCanRun: emulated or native passes; otherwise one line naming the platform and the emulator to install', () => {
  const foreign = hostPlatform().architecture === 's390x' ? 'ppc64le' : 's390x';
  assertCanRun(hostPlatform(), dir);
  if (hostPlatform().architecture !== 'arm64') assertCanRun({ os: 'linux', architecture: 'arm64' }, dir);
  assertCanRun({ os: '', architecture: '' }, dir);
  try {
    assertCanRun({ os: 'linux', architecture: foreign }, dir);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, EmulatorMissingError);
    const m = (e as Error).message;
    assert.match(m, new RegExp(`^run for linux/${foreign}: .*needs an emulator for ${foreign} programs, and no qemu-${foreign} handler is registered in ${dir}`));
    assert.match(m, /qemu-user-static/);
    assert.not.match(m, /not mounted/, 'the fixture has a status file, as a mounted binfmt_misc');
    assert.not.match(m, /\n/);
  }
  try {
    assertCanRun({ os: 'linux', architecture: foreign }, join(dir, 'absent'));
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /absent, where binfmt_misc is not even mounted; install qemu-user-static/);
  }
  try {
    assertCanRun({ os: 'windows', architecture: hostPlatform().architecture }, dir);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /cannot run windows programs/);
  }
});

test.run();
