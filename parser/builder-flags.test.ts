import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkFlags, extractFlags, FlagError } from './builder-flags.js';

test('extractFlags: quotes and backslashes inside flags, offsets, rest offset', () => {
  const line = `--a=1 --b="x y" --c='q' --d=e\\ f  rest of line`;
  const r = extractFlags(line);
  assert.equal(r.flags.map((f) => f.text), ['--a=1', '--b=x y', '--c=q', '--d=e f']);
  assert.equal(r.flags.map((f) => f.offset), [0, 6, 16, 24]);
  assert.is(line.slice(r.restOffset), 'rest of line');
});

test('extractFlags: a lone -- ends the flags; a single dash is an argument', () => {
  assert.equal(extractFlags('--x -- --y z').flags.map((f) => f.text), ['--x']);
  assert.equal(extractFlags('-x --y').flags, []);
  assert.equal(extractFlags('--only').flags.map((f) => f.text), ['--only']);
});

test('checkFlags: types, repeats and BuildKit messages', () => {
  const v = checkFlags(extractFlags('--link --parents=FALSE --from=a --exclude=1 --exclude=2').flags,
    { link: 'bool', parents: 'bool', from: 'string', exclude: 'strings' });
  assert.equal([...v.bools], [['link', true], ['parents', false]]);
  assert.equal(v.strings.get('from'), 'a');
  assert.equal(v.lists.get('exclude'), ['1', '2']);
  const bad: Array<[string, string]> = [
    ['--nope=1', 'unknown flag: nope (accepted: --from)'],
    ['--from', 'missing a value on flag: from'],
    ['--from=a --from=b', 'duplicate flag specified: from'],
  ];
  for (const [text, message] of bad) {
    try {
      checkFlags(extractFlags(text).flags, { from: 'string' });
      assert.unreachable(text);
    } catch (e) {
      assert.instance(e, FlagError);
      assert.is((e as Error).message, message);
    }
  }
});

test.run();
