import { BenchVerifyError } from '../errors.js';
import type { Scenario } from '../scenario.js';

/**
 * `version`: what starting the program costs, with no store work. The share of start-up in
 * the short commands' 150 ms budget; no figure of its own.
 */
export const startUp: Scenario = {
  id: 'version',
  title: 'start-up: `version`',
  state: 'warm',
  note: 'nothing: the command reads no store, so this is the cost of starting the program',
  target: { kind: 'none', text: 'none set (start-up share of the 150 ms commands)' },
  trowelCommands: ['version'],
  async open() {
    return {
      inputs: '—',
      plan(tool) {
        return {
          setup: async () => { await tool.freshStore(); },
          command: () => tool.invocation(['version']),
          async verify(_run, stdout) {
            if (!/version/i.test(stdout)) throw new BenchVerifyError(`verify ${tool.name} version: no version in its output`);
          },
        };
      },
    };
  },
};
