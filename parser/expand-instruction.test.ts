import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandInstruction } from './expand-instruction.js';
import type { Instruction } from './instructions.js';
import { parseContainerfile } from './parse-containerfile.js';
import { ContainerfileError } from './parse-error.js';

const env = new Map([['V', 'val'], ['P', '8080 9090']]);

function one(line: string, escape?: string): Instruction {
  const p = parseContainerfile(`${escape ? `# escape=${escape}\n` : ''}FROM x\n${line}\n`);
  return expandInstruction(p.stages[0]!.instructions[0]!, env, { escape: p.escape });
}

test('RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and MAINTAINER commands are left to the shell', () => {
  assert.equal((one('RUN echo $V') as { command: unknown }).command, { form: 'shell', script: 'echo $V' });
  assert.equal((one('CMD ["$V"]') as { command: unknown }).command, { form: 'exec', argv: ['$V'] });
  assert.equal((one('ENTRYPOINT echo $V') as { command: unknown }).command, { form: 'shell', script: 'echo $V' });
  assert.equal((one('HEALTHCHECK CMD echo $V') as { test: unknown }).test, ['CMD-SHELL', 'echo $V']);
  assert.is((one('MAINTAINER $V') as { name: string }).name, '$V');
  assert.is((one('ONBUILD WORKDIR $V') as { expression: string }).expression, 'WORKDIR $V');
});

test('RUN --mount fields are expanded', () => {
  const run = one('RUN --mount=type=cache,target=/c/$V,id=${V}-id true');
  assert.equal(run.kind === 'run' && run.mounts, [{ type: 'cache', target: '/c/val', id: 'val-id' }]);
});

test('COPY/ADD words and flags are expanded, --from too', () => {
  const copy = one('COPY --from=$V --chown=$V --chmod=0755 --exclude=*.$V $V/a /dst/$V/');
  assert.ok(copy.kind === 'copy');
  if (copy.kind !== 'copy') return;
  assert.equal([copy.from, copy.chown, copy.exclude, copy.sources, copy.destination], ['val', 'val', ['*.val'], ['val/a'], '/dst/val/']);
});

test('EXPOSE words split after expansion; VOLUME, USER, WORKDIR, STOPSIGNAL are single words', () => {
  assert.equal((one('EXPOSE $P 22') as { ports: string[] }).ports, ['8080', '9090', '22']);
  assert.equal((one('VOLUME ["/$V", "/b c"]') as { paths: string[] }).paths, ['/val', '/b c']);
  assert.is((one('USER $V:$V') as { user: string }).user, 'val:val');
  assert.is((one('WORKDIR /a b/$V') as { path: string }).path, '/a b/val');
  assert.is((one('STOPSIGNAL $V') as { signal: string }).signal, 'val');
});

test('the escape directive character is used for expansion', () => {
  assert.is((one('WORKDIR C:\\$V\\`$V', '`') as { path: string }).path, 'C:\\val\\$V');
});

test('an expansion error is a ContainerfileError at the instruction', () => {
  try {
    one('WORKDIR ${V');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ContainerfileError);
    assert.is((e as Error).message, "Containerfile:2:1: WORKDIR: syntax error: missing '}'");
  }
});

test('the input instruction is not modified', () => {
  const p = parseContainerfile('FROM x\nENV A=$V\n');
  const before = JSON.stringify(p);
  expandInstruction(p.stages[0]!.instructions[0]!, env);
  assert.is(JSON.stringify(p), before);
});

test.run();
