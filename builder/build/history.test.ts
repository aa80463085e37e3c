import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseContainerfile } from '../../parser/index.js';
import { createdBy } from './history.js';

const first = (line: string) => parseContainerfile(`FROM x\n${line}\n`).stages[0]!.instructions[0]!;

test('RUN lists the ARGs in scope, sorted, before the command as written', () => {
  assert.is(createdBy(first('RUN echo $V > /v'), new Map([['V', '3'], ['A', 'x']])), '|2 A=x V=3 /bin/sh -c echo $V > /v');
  assert.is(createdBy(first('RUN ["echo", "hi"]'), new Map()), '/bin/sh -c ["echo", "hi"]');
  assert.is(createdBy(first('RUN --network=none true'), new Map()), '/bin/sh -c true');
});

test('RUN keeps its --mount flags before the command, as buildah 1.28 records them', () => {
  assert.is(createdBy(first('RUN --mount=type=ssh ssh-add -l'), new Map()), '/bin/sh -c --mount=type=ssh ssh-add -l');
  assert.is(createdBy(first('RUN --network=none --mount=type=ssh,id=k --mount=type=tmpfs,target=/t env'), new Map()),
    '/bin/sh -c --mount=type=ssh,id=k --mount=type=tmpfs,target=/t env');
});

test('metadata steps are #(nop) with the line as written; ARG keeps only names; COPY names its token and destination', () => {
  assert.is(createdBy(first('ENV B=$V'), new Map()), '/bin/sh -c #(nop) ENV B=$V');
  assert.is(createdBy(first('ARG V=3'), new Map()), '/bin/sh -c #(nop) ARG V');
  assert.is(createdBy(first('COPY --chown=1:2 a.txt $D/'), new Map(), 'file:abc'), '/bin/sh -c #(nop) COPY file:abc in $D/ ');
});

test.run();
