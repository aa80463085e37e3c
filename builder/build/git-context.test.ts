import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGitContextUrl, parseGitContextUrl } from './git-context.js';
import { isContextUrl } from './url-context.js';
import { redactUrl } from './remote-source.js';

test('which context arguments are URLs, and which of those are git repositories', () => {
  for (const url of ['git://h/r', 'https://h/r.git', 'http://h/r.git#main:sub', 'HTTPS://h/a/b.git']) assert.ok(isGitContextUrl(url), url);
  for (const url of ['https://h/r.tar.gz', 'https://h/r.git/Containerfile', 'github.com/o/r', './r.git', 'ssh://h/r.git']) assert.not.ok(isGitContextUrl(url), url);
  for (const arg of ['http://h/x', 'https://h/x', 'git://h/x', 'github.com/o/r']) assert.ok(isContextUrl(arg), arg);
  for (const arg of ['.', 'dir', '/abs/dir', 'ssh://h/r.git', 'r.git', '-']) assert.not.ok(isContextUrl(arg), arg);
});

test('REPO#REF:SUBDIR, each part after # optional', () => {
  assert.equal(parseGitContextUrl('git://h/r.git'), { repo: 'git://h/r.git', ref: undefined, subdir: '.' });
  assert.equal(parseGitContextUrl('git://h/r.git#v1'), { repo: 'git://h/r.git', ref: 'v1', subdir: '.' });
  assert.equal(parseGitContextUrl('git://h/r.git#v1:a/b'), { repo: 'git://h/r.git', ref: 'v1', subdir: 'a/b' });
  assert.equal(parseGitContextUrl('git://h/r.git#:a'), { repo: 'git://h/r.git', ref: undefined, subdir: 'a' });
  assert.equal(parseGitContextUrl('https://u:p@h:8443/r.git#main'), { repo: 'https://u:p@h:8443/r.git', ref: 'main', subdir: '.' });
});

test('passwords in URLs are hidden from messages', () => {
  assert.is(redactUrl('https://u:secret@h/r.git'), 'https://u:xxxxx@h/r.git');
  assert.is(redactUrl('https://u@h/r.git'), 'https://u@h/r.git');
  assert.is(redactUrl('git://h/r.git#main:sub'), 'git://h/r.git#main:sub');
  assert.is(redactUrl('not a url'), 'not a url');
});

test.run();
