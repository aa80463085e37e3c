/**
 * `inspect --format` against buildah's own: the same config made on a trowel and a buildah
 * working container, committed, then each template rendered by both tools must print the
 * same text (Go's text/template is the reference: range, if/else, with, variables, pipelines,
 * parentheses, trim markers, and its builtin functions).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrowelSandbox } from '../test/support/trowel.js';
import { buildahStoreArgs } from '../test/support/busybox-image.js';

const t = new TrowelSandbox();
const work = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'trowel-inspect-format-'));
const buildahStore = join(work, 'buildah');

function bh(args: string[]): string {
  const r = spawnSync('buildah', [...buildahStoreArgs(buildahStore), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`buildah ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const CONFIG = ['--label', 'a=1', '--label', 'b=two', '--env', 'X=1', '--env', 'Y=<&>', '--cmd', 'sh -c x', '--user', '1000', '--workingdir', '/w'];

const TEMPLATES = [
  '{{range .OCIv1.Config.Env}}{{println .}}{{end}}',
  '{{range $k, $v := .OCIv1.Config.Labels}}{{$k}}={{$v}};{{end}}',
  '{{if .OCIv1.Config.Cmd}}{{len .OCIv1.Config.Cmd}} words, first {{index .OCIv1.Config.Cmd 0}}{{else}}none{{end}}',
  '{{with .OCIv1.Config.User}}user {{.}}{{end}}{{with .OCIv1.Config.StopSignal}}never{{else}} no stop signal{{end}}',
  '{{- range $i, $e := .OCIv1.Config.Env -}} {{$i}}:{{printf "%-4s|%q|%5d" $e $e $i}} {{- end}}',
  '{{if and (eq .OCIv1.Config.User "1000") (not .OCIv1.Config.Entrypoint)}}yes{{end}} {{or .OCIv1.Config.Entrypoint "fallback"}}',
  '{{index .OCIv1.Config.Labels "b"}} {{len .OCIv1.Config.Labels}} {{(index .OCIv1.Config.Env 1)}}',
  '{{range .OCIv1.Config.Volumes}}x{{else}}no volumes{{end}}',
  '{{.OCIv1.Config.WorkingDir | printf "%s/"}}',
  '{{$w := .OCIv1.Config.WorkingDir}}{{range .OCIv1.Config.Cmd}}{{$w}}:{{.}} {{end}}{{/* a comment */}}',
  '{{if eq .OCIv1.Config.User "0"}}root{{else if eq .OCIv1.Config.User "1000"}}user{{else}}other{{end}}',
  '{{print "a" 1 2 "b"}}|{{println 1 "x"}}|{{printf "%v %s %t" .OCIv1.Config.Cmd "s" true}}',
];

test.before(() => {
  const tc = t.ok(['from', 'scratch']);
  t.ok(['config', ...CONFIG, tc]);
  t.ok(['commit', '-q', tc, 'localhost/formatted']);
  const bc = bh(['from', 'scratch']).trim();
  bh(['config', ...CONFIG, bc]);
  bh(['commit', '-q', '--identity-label=false', bc, 'localhost/formatted']);
});

test.after(() => {
  t.cleanup();
  spawnSync('buildah', [...buildahStoreArgs(buildahStore), 'rm', '--all']);
  rmSync(work, { recursive: true, force: true });
});

test('each template prints what buildah prints for the same image', () => {
  for (const template of TEMPLATES) {
    const theirs = bh(['inspect', '--format', template, 'localhost/formatted']);
    const ours = t.run(['inspect', '--format', template, 'localhost/formatted']);
    assert.is(ours.code, 0, `${template}: ${ours.stderr}`);
    assert.is(ours.stdout, theirs, template);
  }
});

test('template mistakes are one line naming the template', () => {
  for (const [template, why] of [
    ['{{range .OCIv1.Config.Env}}', /missing \{\{end\}\}/],
    ['{{nosuch .OCIv1}}', /function "nosuch" not defined/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{.OCIv1', /^Error: inspect: invalid format provided: \{\{\.OCIv1\n$/],
    ['{{.OCIv1}} {{.Config', /unclosed action/],
    ['{{$nope}}', /undefined variable \$nope/],
  ] as const) {
    const r = t.run(['inspect', '--format', template, 'localhost/formatted']);
    assert.is(r.code, 125, template);
    assert.match(r.stderr, /^Error: ((parse|execute) template "|inspect: invalid format)/);
    assert.match(r.stderr, why);
    assert.is(r.stderr.split('\n').length, 2, r.stderr);
  }
});

test.run();
