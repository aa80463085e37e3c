import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseContainerfile } from './parse-containerfile.js';
import { ContainerfileError } from './parse-error.js';
import { parseOnbuildTriggers } from './onbuild-triggers.js';

test('triggers recorded by a parent parse back into the same instructions', () => {
  const parent = parseContainerfile('FROM a\nONBUILD COPY --chown=1 . /app\nONBUILD RUN <<EOF\necho hi\nEOF\nONBUILD ENV A=1\n');
  const expressions = parent.stages[0]!.instructions.flatMap((i) => (i.kind === 'onbuild' ? [i.expression] : []));
  const replayed = parseOnbuildTriggers(expressions, { filename: 'localhost/parent ONBUILD' });
  assert.equal(replayed.map((i) => i.kind), ['copy', 'run', 'env']);
  const run = replayed[1]!;
  assert.ok(run.kind === 'run' && run.heredocs[0]!.content === 'echo hi\n');
  assert.equal(replayed[0]!.kind === 'copy' && replayed[0]!.chown, '1');
});

test('a bad trigger is reported against the image with the trigger number as line', () => {
  try {
    parseOnbuildTriggers(['RUN true', 'FROM alpine'], { filename: 'localhost/parent ONBUILD' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ContainerfileError);
    assert.is((e as Error).message, "localhost/parent ONBUILD:2:1: FROM isn't allowed as an ONBUILD trigger");
  }
  try {
    parseOnbuildTriggers(['COPY --bogus a b'], { filename: 'img ONBUILD' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ContainerfileError);
    assert.match((e as Error).message, /^img ONBUILD:1:6: COPY: unknown flag: bogus/);
  }
});

test.run();
