/**
 * `trowel bud URL`: build contexts from a git repository served by a real `git daemon`
 * (`REPO#REF:SUBDIR`), from a tarball or a lone Containerfile over http, and `-f URL`; buildah
 * builds the same git context as an oracle. `ADD REPO.git#REF:SUBDIR DEST` in a Containerfile,
 * with `--keep-git-dir` and the `--layers` cache. Bad input (unknown ref or repository, a SUBDIR
 * leading out of the checkout, a 404, an archive with `../` entries) gets one line naming the
 * URL, and leaves no temporary directory and no image.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import tar from 'tar-stream';
import { TrowelSandbox, sh } from '../test/support/trowel.js';
import { setUpBuildTest, tearDownBuildTest } from '../test/support/build-test.js';
import { writeTree } from '../test/support/files.js';
import { makeGitRepository, startGitServer, type GitServer } from '../test/support/git-server.js';
import { buildahStoreArgs } from '../test/support/busybox-image.js';

let t: TrowelSandbox;
let work = '';
let git: GitServer | undefined;
let server: Server | undefined;
let http = '';
let repos = '';
const served = new Map<string, Buffer>();

/** The files of image `ref` in trowel's store: path -> content, for the given paths. */
function filesOf(ref: string, paths: string[]): Record<string, string | null> {
  const c = t.ok(['from', ref]);
  try {
    const mnt = t.ok(['mount', c]);
    return Object.fromEntries(paths.map((p) => [p, existsSync(join(mnt, p)) ? readFileSync(join(mnt, p), 'utf8') : null]));
  } finally {
    t.ok(['rm', c]);
  }
}

/** Nothing of a build is left in the store's tmp dir (contexts, downloads). */
function assertNoTemporaries(): void {
  const left = readdirSync(join(t.root, 'tmp')).filter((n) => /^(context|download|gitsrc)-/.test(n));
  assert.equal(left, [], 'no temporary context is left');
}

async function evilArchive(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'Containerfile' }, 'FROM scratch\nCOPY x /x\n');
  pack.entry({ name: '../escaped-from-context' }, 'outside\n');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test.before(async () => {
  ({ t, work } = setUpBuildTest('bud-url'));
  repos = join(work, 'repos');
  makeGitRepository(repos, 'app', [
    { files: { Containerfile: 'FROM scratch\nCOPY sub/hello /top\n', 'sub/Containerfile': 'FROM scratch\nCOPY hello /hello\n', 'sub/hello': 'main\n' } },
    { branch: 'feature', tag: 'v1', files: { 'sub/hello': 'feature\n' }, symlinks: { 'sub/out': '../..', 'sub/root': '/' } },
  ]);
  git = await startGitServer(repos);

  const ctx = writeTree(join(work, 'http-context'), { Containerfile: 'FROM scratch\nCOPY data.txt /data.txt\n', 'data.txt': 'from a tarball\n' });
  served.set('/context.tar.gz', spawnSync('tar', ['-C', ctx, '-czf', '-', '.']).stdout);
  served.set('/Containerfile', Buffer.from('FROM scratch\nLABEL from=url\n'));
  served.set('/evil.tar', await evilArchive());
  server = createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (body) return res.end(body);
    res.statusCode = 404;
    res.end('not here');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  http = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

test.after(() => {
  git?.stop();
  server?.close();
  tearDownBuildTest({ t, work });
});

test('a git repository: its HEAD, a branch with a subdirectory, and a tag', async () => {
  const head = await t.runAsync(['bud', '-q', '-t', 'git-head', `${git!.base}/app.git`]);
  assert.is(head.code, 0, head.stderr);
  assert.equal(filesOf('git-head', ['top']), { top: 'main\n' });

  const branch = await t.runAsync(['bud', '-q', '-t', 'git-branch', `${git!.base}/app.git#feature:sub`]);
  assert.is(branch.code, 0, branch.stderr);
  assert.equal(filesOf('git-branch', ['hello', 'top']), { hello: 'feature\n', top: null });

  // A tag works too (buildah 1.28 fetches it, then fails to check it out by name).
  const tag = await t.runAsync(['bud', '-q', '-t', 'git-tag', `${git!.base}/app.git#v1:sub`]);
  assert.is(tag.code, 0, tag.stderr);
  assert.equal(filesOf('git-tag', ['hello']), { hello: 'feature\n' });
  assertNoTemporaries();
});

test('buildah builds the same git context to the same files', async () => {
  const url = `${git!.base}/app.git#feature:sub`;
  const store = buildahStoreArgs(join(work, 'buildah'));
  const bh = (args: string[]) => {
    const r = spawnSync('buildah', [...store, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`buildah ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  bh(['bud', '-q', '--isolation', 'chroot', '-t', 'oracle', url]);
  const c = bh(['from', 'oracle']);
  const mnt = bh(['mount', c]);
  const theirs = readdirSync(mnt).sort();
  const hello = readFileSync(join(mnt, 'hello'), 'utf8');
  bh(['rm', c]);
  const ours = await t.runAsync(['bud', '-q', '-t', 'git-same', url]);
  assert.is(ours.code, 0, ours.stderr);
  const oc = t.ok(['from', 'git-same']);
  const omnt = t.ok(['mount', oc]);
  assert.equal(readdirSync(omnt).sort(), theirs);
  assert.is(readFileSync(join(omnt, 'hello'), 'utf8'), hello);
  t.ok(['rm', oc]);
});

test('git contexts that cannot be used: one line naming the URL, nothing left', async () => {
  const before = t.ok(['images', '-q']);
  const cases: [string, RegExp][] = [
    [`${git!.base}/app.git#no-such-branch`, /^Error: clone build context git:\/\/127\.0\.0\.1:\d+\/app\.git#no-such-branch: git fetch: fatal: couldn't find remote ref no-such-branch\n$/],
    [`${git!.base}/missing.git`, /^Error: clone build context git:\/\/127\.0\.0\.1:\d+\/missing\.git: git fetch: .*\n$/],
    [`${git!.base}/app.git#main:../..`, /^Error: clone build context .*: subdirectory \.\.\/\.\. leads outside the repository\n$/],
    [`${git!.base}/app.git#feature:sub/out`, /^Error: clone build context .*: subdirectory sub\/out leads outside the repository\n$/],
    [`${git!.base}/app.git#feature:sub/root`, /^Error: clone build context .*: subdirectory sub\/root leads outside the repository\n$/],
    [`${git!.base}/app.git#main:nowhere`, /^Error: clone build context .*: subdirectory nowhere: not in the repository\n$/],
    [`${git!.base}/app.git#main:Containerfile`, /^Error: clone build context .*: subdirectory Containerfile: not a directory\n$/],
  ];
  for (const [url, message] of cases) {
    const r = await t.runAsync(['bud', '-t', 'must-not-exist', url]);
    assert.is(r.code, 125, url);
    assert.match(r.stderr, message);
  }
  assert.is(t.ok(['images', '-q']), before, 'no image was added');
  assertNoTemporaries();
});

test('over http: a tarball context, a lone Containerfile, and -f URL', async () => {
  const fromTar = await t.runAsync(['bud', '-q', '-t', 'http-tar', `${http}/context.tar.gz`]);
  assert.is(fromTar.code, 0, fromTar.stderr);
  assert.equal(filesOf('http-tar', ['data.txt']), { 'data.txt': 'from a tarball\n' });

  const fromFile = await t.runAsync(['bud', '-q', '-t', 'http-file', `${http}/Containerfile`]);
  assert.is(fromFile.code, 0, fromFile.stderr);
  assert.match(t.ok(['inspect', '--type', 'image', '--format', '{{.OCIv1.Config.Labels}}', 'http-file']), /from:url/);

  const local = writeTree(join(work, 'local-context'), { 'data.txt': 'local\n' });
  const withFile = await t.runAsync(['bud', '-q', '-t', 'http-f', '-f', `${http}/Containerfile`, local]);
  assert.is(withFile.code, 0, withFile.stderr);
  assert.match(t.ok(['inspect', '--type', 'image', '--format', '{{.OCIv1.Config.Labels}}', 'http-f']), /from:url/);
  assertNoTemporaries();
});

test('http contexts that cannot be used: a 404, an archive reaching out of the context', async () => {
  const missing = await t.runAsync(['bud', `${http}/nothing.tar`]);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /^Error: fetch build context http:\/\/127\.0\.0\.1:\d+\/nothing\.tar: the server answered 404\n$/);

  const missingFile = await t.runAsync(['bud', '-f', `${http}/nothing`, work]);
  assert.is(missingFile.code, 125);
  assert.match(missingFile.stderr, /^Error: fetch Containerfile http:\/\/127\.0\.0\.1:\d+\/nothing: the server answered 404\n$/);

  const evil = await t.runAsync(['bud', `${http}/evil.tar`]);
  assert.is(evil.code, 125);
  assert.match(evil.stderr, /^Error: fetch build context http:\/\/127\.0\.0\.1:\d+\/evil\.tar: .*escaped-from-context.*\n$/);
  assert.not.ok(existsSync(join(t.root, 'tmp', 'escaped-from-context')), 'nothing was written beside the context');
  assertNoTemporaries();
});

test('ADD of a git repository: its files (a SUBDIR\'s), .git only with --keep-git-dir, symlinks kept as links', async () => {
  const dir = writeTree(join(work, 'add-git'), {
    Containerfile: `FROM scratch\nADD ${git!.base}/app.git#feature:sub /src\nADD --keep-git-dir ${git!.base}/app.git /repo\n`,
  });
  const r = await t.runAsync(['bud', '-q', '-t', 'add-git', dir]);
  assert.is(r.code, 0, r.stderr);
  const c = t.ok(['from', 'add-git']);
  const mnt = t.ok(['mount', c]);
  assert.equal(readdirSync(join(mnt, 'src')).sort(), ['Containerfile', 'hello', 'out', 'root']);
  assert.is(readFileSync(join(mnt, 'src/hello'), 'utf8'), 'feature\n');
  assert.ok(lstatSync(join(mnt, 'src/root')).isSymbolicLink(), 'a symlink is copied as a link, not followed');
  assert.is(readlinkSync(join(mnt, 'src/root')), '/');
  assert.ok(existsSync(join(mnt, 'repo/.git/HEAD')), '--keep-git-dir keeps .git');
  assert.is(readFileSync(join(mnt, 'repo/sub/hello'), 'utf8'), 'main\n');
  assert.is(lstatSync(join(mnt, 'src/hello')).uid, 0);
  t.ok(['rm', c]);
  assertNoTemporaries();
});

test('ADD of a git repository with --layers: a cache hit while the branch stays, a new image when it moves', async () => {
  makeGitRepository(repos, 'moving', [{ files: { 'v.txt': 'one\n' } }]);
  const dir = writeTree(join(work, 'add-git-cache'), { Containerfile: `FROM scratch\nADD ${git!.base}/moving.git#main /v\n` });
  const first = await t.runAsync(['bud', '--layers', '-t', 'moving', dir]);
  assert.is(first.code, 0, first.stderr);
  const again = await t.runAsync(['bud', '--layers', '-t', 'moving', dir]);
  assert.match(again.stdout, /--> Using cache/);
  const workTree = join(repos, 'moving-work');
  writeTree(workTree, { 'v.txt': 'two\n' });
  sh('git', ['-C', workTree, '-c', 'user.name=test', '-c', 'user.email=test@example.invalid', 'commit', '-qam', 'two']);
  sh('git', ['-C', workTree, 'push', '-q', join(repos, 'moving.git'), 'main']);
  const moved = await t.runAsync(['bud', '--layers', '-t', 'moving', dir]);
  assert.is(moved.code, 0, moved.stderr);
  assert.not.match(moved.stdout, /Using cache/);
  assert.equal(filesOf('moving', ['v/v.txt']), { 'v/v.txt': 'two\n' });
});

test('ADD/COPY of git sources that cannot be used: one line naming the step and the URL', async () => {
  const bad = writeTree(join(work, 'add-git-bad'), { Containerfile: `FROM scratch\nADD ${git!.base}/app.git#no-such-branch /x\n` });
  const r = await t.runAsync(['bud', bad]);
  assert.is(r.code, 125);
  assert.match(r.stderr, /^Error: error building at STEP "ADD git:\/\/127\.0\.0\.1:\d+\/app\.git#no-such-branch \/x" \(Containerfile:2\): add git:\/\/127\.0\.0\.1:\d+\/app\.git#no-such-branch: git fetch: fatal: couldn't find remote ref no-such-branch\n$/);
  const copy = writeTree(join(work, 'copy-git'), { Containerfile: `FROM scratch\nCOPY ${git!.base}/app.git /x\n` });
  const c = await t.runAsync(['bud', copy]);
  assert.is(c.code, 125);
  assert.match(c.stderr, /COPY from a URL \(use ADD\)/);
  // A context directory whose name ends in .git is an ordinary source.
  const local = writeTree(join(work, 'local-dot-git'), { Containerfile: 'FROM scratch\nCOPY vendor.git /v\n', 'vendor.git/HEAD': 'ref: refs/heads/main\n' });
  const ok = await t.runAsync(['bud', '-q', '-t', 'local-dot-git', local]);
  assert.is(ok.code, 0, ok.stderr);
  assert.equal(filesOf('local-dot-git', ['v/HEAD']), { 'v/HEAD': 'ref: refs/heads/main\n' });
  assertNoTemporaries();
});

test('--build-context: a directory, a tarball URL and an image, named before stages; --layers keys a directory by its files', async () => {
  const assets = writeTree(join(work, 'named-assets'), { 'file.txt': 'from the named directory\n' });
  const dir = writeTree(join(work, 'named-ctx'), {
    Containerfile: [
      'FROM busybox AS assets',
      'RUN echo from-the-stage > /file.txt',
      'FROM base',
      'COPY --from=assets file.txt /assets.txt',
      'COPY --from=remote data.txt /remote.txt',
      'COPY --from=base /bin/busybox /copied-busybox',
      'RUN --mount=type=bind,from=assets,target=/m cat /m/file.txt > /mounted.txt',
      '',
    ].join('\n'),
  });
  const flags = ['--build-context', `assets=${assets}`, '--build-context', `remote=${http}/context.tar.gz`, '--build-context', 'base=container-image://localhost/busybox:latest'];
  const r = await t.runAsync(['bud', '--layers', '-q', '-t', 'named', ...flags, dir]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(filesOf('named', ['assets.txt', 'remote.txt', 'mounted.txt']), {
    'assets.txt': 'from the named directory\n', 'remote.txt': 'from a tarball\n', 'mounted.txt': 'from the named directory\n',
  });
  assert.ok(filesOf('named', ['copied-busybox'])['copied-busybox']!.length > 100000, 'COPY --from an image context');
  writeTree(assets, { 'file.txt': 'changed\n' });
  const again = await t.runAsync(['bud', '--layers', '-t', 'named', ...flags, dir]);
  assert.is(again.code, 0, again.stderr);
  assert.equal(filesOf('named', ['assets.txt']), { 'assets.txt': 'changed\n' }, 'a changed directory is not a cache hit');
  assertNoTemporaries();
});

test('--build-context mistakes: one line each, nothing left', async () => {
  const dir = writeTree(join(work, 'named-bad'), { Containerfile: 'FROM assets\n' });
  const cases: [string[], RegExp][] = [
    [['--build-context', 'assets'], /^Error: parse --build-context "assets": want NAME=VALUE\n$/],
    [['--build-context', `assets=${join(work, 'no-such-dir')}`], /^Error: parse --build-context "assets=.*no-such-dir": .*no-such-dir is not a directory\n$/],
    [['--build-context', `assets=${work}`, '--build-context', `assets=${work}`], /assets is given twice/],
    [['--build-context', `assets=${work}`], /^Error: error building at STEP "FROM assets" \(Containerfile:1\): the build context assets is a directory, not an image\n$/],
    [['--build-context', `assets=${http}/nothing.tar`], /^Error: fetch build context http:\/\/127\.0\.0\.1:\d+\/nothing\.tar: the server answered 404\n$/],
  ];
  for (const [flags, message] of cases) {
    const r = await t.runAsync(['bud', ...flags, dir]);
    assert.is(r.code, 125, flags.join(' '));
    assert.match(r.stderr, message);
  }
  assertNoTemporaries();
});

test('a password in a context URL is never printed', async () => {
  const r = await t.runAsync(['bud', `http://user:s3cret-pass@127.0.0.1:1/context.tar`]);
  assert.is(r.code, 125);
  assert.not.match(r.stderr, /s3cret-pass/);
  assert.match(r.stderr, /^Error: fetch build context http:\/\/user:xxxxx@127\.0\.0\.1:1\/context\.tar: /);
  const g = await t.runAsync(['bud', `http://user:s3cret-pass@127.0.0.1:1/repo.git#main`]);
  assert.is(g.code, 125);
  assert.not.match(g.stderr, /s3cret-pass/);
  assert.match(g.stderr, /^Error: clone build context http:\/\/user:xxxxx@127\.0\.0\.1:1\/repo\.git#main: git fetch: /);
});

test.run();
