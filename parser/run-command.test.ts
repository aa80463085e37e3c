import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunInstruction } from './instructions.js';
import { parseContainerfile } from './parse-containerfile.js';
import { commandArgv, resolveRunCommand } from './run-command.js';

const SH = ['/bin/sh', '-c'];

function run(text: string): RunInstruction {
  const i = parseContainerfile(`FROM x\n${text}`).stages[0]!.instructions[0]!;
  if (i.kind !== 'run') throw new Error('not a RUN');
  return i;
}

test('exec form runs its argv; shell form goes through SHELL', () => {
  assert.equal(resolveRunCommand(run('RUN ["a", "b"]\n'), SH), { kind: 'argv', argv: ['a', 'b'] });
  assert.equal(resolveRunCommand(run('RUN echo $HOME\n'), ['/bin/bash', '-ec']), { kind: 'argv', argv: ['/bin/bash', '-ec', 'echo $HOME'] });
});

test('a lone heredoc runs its body through the shell', () => {
  assert.equal(resolveRunCommand(run('RUN <<EOF\necho a\necho b\nEOF\n'), SH), { kind: 'argv', argv: ['/bin/sh', '-c', 'echo a\necho b\n'] });
});

test('a lone heredoc with a shebang is a script file', () => {
  assert.equal(resolveRunCommand(run('RUN <<EOT\n#!/usr/bin/env python3\nprint(1)\nEOT\n'), SH),
    { kind: 'script', name: 'EOT', content: '#!/usr/bin/env python3\nprint(1)\n' });
});

test('heredocs used by a command are appended for the shell to read', () => {
  assert.equal(resolveRunCommand(run('RUN cat <<A > /a && cat <<B\none\nA\ntwo\nB\n'), SH),
    { kind: 'argv', argv: ['/bin/sh', '-c', 'cat <<A > /a && cat <<B\none\nA\ntwo\nB'] });
});

test('commandArgv: exec as is, shell through SHELL, empty shell form is the bare SHELL', () => {
  assert.equal(commandArgv({ form: 'exec', argv: ['a'] }, SH), ['a']);
  assert.equal(commandArgv({ form: 'shell', script: 'x y' }, SH), ['/bin/sh', '-c', 'x y']);
  assert.equal(commandArgv({ form: 'shell', script: '' }, SH), ['/bin/sh', '-c']);
});

test.run();
