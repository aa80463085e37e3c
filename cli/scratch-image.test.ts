import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, copyFileSync, writeFileSync, readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TrowelSandbox, sh } from '../test/support/trowel.js';

const INDEX = 'This is the first scratch container\n';
const test = suite('scratch image: the from/mount/config/commit/push story, checked by real clients');
const t = new TrowelSandbox();
const work = mkdtempSync(join(tmpdir(), 'trowel-story-'));
let imageId = '';

test.after(() => {
  t.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('from scratch prints the working container name', () => {
  assert.is(t.ok(['from', 'scratch']), 'working-container');
  assert.is(t.ok(['from', 'scratch']), 'working-container-1');
  t.ok(['rm', 'working-container-1']);
});

test('mount gives a writable merged root; umount releases it', () => {
  const mnt = t.ok(['mount', 'working-container']);
  assert.ok(mnt.startsWith(t.root + '/'), `mount point ${mnt} is inside the store`);
  mkdirSync(join(mnt, 'bin'), { recursive: true });
  mkdirSync(join(mnt, 'var/www/html'), { recursive: true });
  copyFileSync('/bin/busybox', join(mnt, 'bin/busybox'));
  writeFileSync(join(mnt, 'var/www/html/index.html'), INDEX);
  assert.ok(t.ok(['mount']).includes(mnt), 'mount without arguments lists it');
  t.ok(['umount', 'working-container']);
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(mnt), 'nothing stays mounted');
});

test('config and commit print a 64-hex image id; images lists the name', () => {
  t.ok(['config', '--cmd', '/bin/busybox httpd -f -p 80', '--port', '80/tcp', '--label', 'a=b', 'working-container']);
  imageId = t.ok(['commit', '-q', 'working-container', 'localhost/scratch-httpd:latest']);
  assert.match(imageId, /^[0-9a-f]{64}$/);
  const images = t.ok(['images']);
  assert.match(images, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);
  assert.match(images, new RegExp(`localhost/scratch-httpd\\s+latest\\s+${imageId.slice(0, 12)}\\s+.*ago\\s+[0-9.]+ MB`));
});

test('inspect shows the config, and --format walks it like a Go template', () => {
  const data = JSON.parse(t.ok(['inspect', 'localhost/scratch-httpd:latest']));
  assert.equal(data.OCIv1.config.Cmd, ['/bin/busybox', 'httpd', '-f', '-p', '80']);
  assert.equal(data.OCIv1.config.ExposedPorts, { '80/tcp': {} });
  assert.is(data.FromImageID, imageId);
  assert.is(t.ok(['inspect', '--format', '{{.OCIv1.Config.Cmd}}', 'localhost/scratch-httpd']), '[/bin/busybox httpd -f -p 80]');
  assert.is(t.ok(['inspect', '--type', 'image', '--format', '{{.Config.Labels}}', imageId.slice(0, 12)]), 'map[a:b]');
});

test('the store root is an OCI layout that skopeo reads', () => {
  const info = JSON.parse(sh('skopeo', ['inspect', `oci:${t.root}:localhost/scratch-httpd:latest`]));
  assert.equal(info.Labels, { a: 'b' });
  assert.is(info.Architecture, 'amd64');
});

test('push to oci-archive: skopeo reads it, umoci unpacks the rootfs', () => {
  const archive = join(work, 'httpd.tar');
  t.ok(['push', 'localhost/scratch-httpd:latest', `oci-archive:${archive}`]);
  const info = JSON.parse(sh('skopeo', ['inspect', `oci-archive:${archive}`]));
  assert.equal(info.Labels, { a: 'b' });
  assert.is(info.Layers.length, 1);
  const layout = join(work, 'layout');
  t.ok(['push', 'localhost/scratch-httpd:latest', `oci:${layout}:v1`]);
  sh('umoci', ['unpack', '--image', `${layout}:v1`, join(work, 'bundle')]);
  assert.is(readFileSync(join(work, 'bundle/rootfs/var/www/html/index.html'), 'utf8'), INDEX);
  assert.ok(readFileSync(join(work, 'bundle/rootfs/bin/busybox')).equals(readFileSync('/bin/busybox')));
});

test('buildah can from the oci-archive and run the image', () => {
  const b = ['--root', join(work, 'bh-root'), '--runroot', join(work, 'bh-run'), '--storage-driver', 'vfs'];
  const c = sh('buildah', [...b, 'from', '--pull-never', `oci-archive:${join(work, 'httpd.tar')}`]).trim().split('\n').pop()!;
  const outText = sh('buildah', [...b, 'run', '--isolation', 'chroot', c, '--', '/bin/busybox', 'cat', '/var/www/html/index.html']);
  assert.is(outText, INDEX);
  sh('buildah', [...b, 'rm', c]);
  sh('buildah', [...b, 'rmi', '-a', '-f']);
});

test('trowel pulls what skopeo wrote (oci: and docker-archive:) and the content survives', () => {
  const skLayout = join(work, 'skopeo-layout');
  sh('skopeo', ['copy', `oci-archive:${join(work, 'httpd.tar')}`, `oci:${skLayout}:copied`]);
  const pulled = t.ok(['pull', '-q', `oci:${skLayout}:copied`]);
  assert.is(pulled, imageId, 'same config, same image id');
  const dockerArchive = join(work, 'docker.tar');
  sh('skopeo', ['copy', `oci-archive:${join(work, 'httpd.tar')}`, `docker-archive:${dockerArchive}:example.com/httpd:v2`]);
  const fromDocker = t.ok(['pull', '-q', `docker-archive:${dockerArchive}`]);
  assert.match(fromDocker, /^[0-9a-f]{64}$/);
  const c = t.ok(['from', fromDocker]);
  const mnt = t.ok(['mount', c]);
  assert.is(readFileSync(join(mnt, 'var/www/html/index.html'), 'utf8'), INDEX);
  t.ok(['umount', c]);
  t.ok(['rm', c]);
});

test('trowel pulls what buildah pushed to docker-archive', () => {
  const b = ['--root', join(work, 'bh-root'), '--runroot', join(work, 'bh-run'), '--storage-driver', 'vfs'];
  const c = sh('buildah', [...b, 'from', 'scratch']).trim();
  const src = join(work, 'hello.txt');
  writeFileSync(src, 'from buildah\n');
  sh('buildah', [...b, 'copy', c, src, '/hello.txt']);
  sh('buildah', [...b, 'commit', '-q', c, 'localhost/from-buildah']);
  const archive = join(work, 'buildah.tar');
  sh('buildah', [...b, 'push', 'localhost/from-buildah', `docker-archive:${archive}:localhost/from-buildah:latest`]);
  sh('buildah', [...b, 'rm', '-a']);
  sh('buildah', [...b, 'rmi', '-a', '-f']);
  const id = t.ok(['pull', '-q', `docker-archive:${archive}`]);
  const tc = t.ok(['from', id]);
  const mnt = t.ok(['mount', tc]);
  assert.is(readFileSync(join(mnt, 'hello.txt'), 'utf8'), 'from buildah\n');
  t.ok(['umount', tc]);
  t.ok(['rm', tc]);
});

test('commits of the same content with --timestamp give the same digests', () => {
  const ids = ['a', 'b'].map((n) => {
    const c = t.ok(['from', '--name', `det-${n}`, 'scratch']);
    const mnt = t.ok(['mount', c]);
    mkdirSync(join(mnt, 'etc'));
    writeFileSync(join(mnt, 'etc/motd'), 'same\n');
    t.ok(['umount', c]);
    t.ok(['config', '--cmd', '/bin/true', c]);
    return t.ok(['commit', '-q', '--timestamp', '1700000000', '--rm', c, `localhost/det-${n}`]);
  });
  assert.is(ids[0], ids[1]);
  const inspect = JSON.parse(t.ok(['inspect', '--type', 'image', 'localhost/det-a']));
  assert.is(inspect.OCIv1.created, '2023-11-14T22:13:20.000Z');
});

test('commit --format docker writes a Docker schema 2 manifest that skopeo accepts', () => {
  const c = t.ok(['from', 'localhost/scratch-httpd']);
  t.ok(['config', '--healthcheck', 'CMD /bin/busybox true', c]);
  t.ok(['commit', '-q', '--format', 'docker', c, 'localhost/httpd-docker']);
  const raw = JSON.parse(t.ok(['inspect', '--type', 'manifest', 'localhost/httpd-docker']));
  assert.is(raw.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  const archive = join(work, 'httpd-docker.tar');
  t.ok(['push', 'localhost/httpd-docker', `docker-archive:${archive}`]);
  const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', '--raw', `docker-archive:${archive}`]));
  assert.equal(cfg.config.Healthcheck.Test, ['CMD', '/bin/busybox', 'true']);
  assert.is(cfg.rootfs.diff_ids.length, 2, 'base layer plus the new one');
  t.ok(['rm', c]);
});

test('commit --squash gives one layer holding the whole tree', () => {
  const c = t.ok(['from', 'localhost/scratch-httpd']);
  const mnt = t.ok(['mount', c]);
  writeFileSync(join(mnt, 'extra'), 'x');
  t.ok(['umount', c]);
  t.ok(['commit', '-q', '--squash', '--rm', c, 'localhost/squashed']);
  const cfg = JSON.parse(sh('skopeo', ['inspect', '--config', `oci:${t.root}:localhost/squashed:latest`]));
  assert.is(cfg.rootfs.diff_ids.length, 1);
  const c2 = t.ok(['from', 'localhost/squashed']);
  const m2 = t.ok(['mount', c2]);
  assert.ok(existsSync(join(m2, 'bin/busybox')) && existsSync(join(m2, 'extra')));
  t.ok(['umount', c2]);
  t.ok(['rm', c2]);
});

test('tag adds a name, rmi removes names then the image and its blobs', () => {
  t.ok(['tag', 'localhost/squashed', 'localhost/alias:1']);
  assert.match(t.ok(['images']), /localhost\/alias\s+1/);
  assert.is(t.ok(['rmi', 'localhost/alias:1']), 'untagged: localhost/alias:1');
  const id = JSON.parse(t.ok(['images', '--json', 'localhost/squashed']))[0].id as string;
  const manifestDigest = JSON.parse(t.ok(['images', '--json', 'localhost/squashed']))[0].digest as string;
  const out = t.ok(['rmi', 'localhost/squashed']);
  assert.match(out, /untagged: localhost\/squashed:latest/);
  assert.ok(out.split('\n').pop()!.startsWith(id));
  assert.not.ok(existsSync(join(t.root, 'blobs/sha256', manifestDigest.slice(7))), 'manifest blob removed');
  assert.not.match(t.ok(['images']), /squashed/);
});

test.run();
