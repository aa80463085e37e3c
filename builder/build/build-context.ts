/**
 * The inputs of a build on disk: the context directory, the Containerfile text (several `-f`
 * files are joined, as buildah does), and the ignore file that filters COPY/ADD sources.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadIgnoreFile } from '../ignore-file.js';
import { parseContainerfile, type IgnoreMatcher } from '../../parser/index.js';
import { BuildInputError } from './errors.js';
import { shellWords } from '../config-edit.js';
import type { ContainerfileInput } from './options.js';

/** The context and Containerfile of one build. */
export interface BuildInputs {
  contextDir: string;
  /** The Containerfile text (several files joined with newlines). */
  text: string;
  /** The name errors use (`Containerfile`, `path/to/Dockerfile`). */
  filename: string;
  /** The ignore file's matcher, if there is one. */
  ignore?: IgnoreMatcher;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Checks the context and reads the Containerfile(s); without `-f`, `Containerfile` then
 * `Dockerfile` in the context. A relative `-f` path is taken from the current directory, then
 * from the context, as buildah does.
 * @throws BuildInputError naming the missing context or file.
 */
export async function loadBuildInputs(opts: { contextDir: string; containerfiles: ContainerfileInput[]; ignoreFile?: string; cppFlags?: string[]; warn?: (m: string) => void }): Promise<BuildInputs> {
  const contextDir = resolve(opts.contextDir);
  if (!isDirectory(contextDir)) {
    throw new BuildInputError(`build image: context directory ${opts.contextDir}: no such directory`);
  }
  let inputs = opts.containerfiles;
  if (inputs.length === 0) {
    const found = ['Containerfile', 'Dockerfile'].map((n) => join(contextDir, n)).find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (!found) throw new BuildInputError(`build image: no Containerfile or Dockerfile in ${opts.contextDir}`);
    inputs = [{ path: found }];
  }
  // Messages name a default file by its own name, a given one as the user wrote it.
  const shownName = opts.containerfiles.length === 0 ? inputs[0] && 'path' in inputs[0] ? inputs[0].path.slice(contextDir.length + 1) : 'Containerfile' : undefined;
  const texts: string[] = [];
  let firstPath: string | undefined;
  for (const input of inputs) {
    if ('text' in input) {
      texts.push(input.text);
      continue;
    }
    const candidates = [resolve(input.path), resolve(contextDir, input.path)];
    const path = candidates.find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (!path) throw new BuildInputError(`build image: read Containerfile ${input.path}: no such file`);
    firstPath ??= path;
    const text = readFileSync(path, 'utf8');
    texts.push(path.endsWith('.in') ? preprocess(input.path, text, contextDir, opts.cppFlags ?? [], opts.warn) : text);
  }
  const first = inputs[0]!;
  const filename = shownName ?? ('text' in first ? first.name : first.path);
  const loaded = await loadIgnoreFile({
    contextDir,
    ...(firstPath !== undefined && opts.containerfiles.length > 0 ? { containerfile: firstPath } : {}),
    ...(opts.ignoreFile !== undefined ? { ignoreFile: opts.ignoreFile } : {}),
  });
  return { contextDir, text: texts.join('\n'), filename, ...(loaded ? { ignore: loaded.matcher } : {}) };
}

/**
 * The build's Containerfile parsed; with `from` (`bud --from IMAGE`), the first FROM names
 * that image instead, as buildah does (its `--platform` and stage name stay).
 */
export function parseBuildContainerfile(inputs: BuildInputs, from?: string): ReturnType<typeof parseContainerfile> {
  const parsed = parseContainerfile(inputs.text, { filename: inputs.filename });
  const first = parsed.stages[0]?.from;
  if (from !== undefined && first) {
    first.image = from;
    first.original = `FROM ${first.platform !== undefined ? `--platform=${first.platform} ` : ''}${from}${first.stageName !== undefined ? ` AS ${first.stageName}` : ''}`;
  }
  return parsed;
}

/**
 * A `.in` Containerfile through cpp(1), as buildah does: `cpp -E -iquote CONTEXT -traditional
 * -undef`, then `BUILDAH_CPPFLAGS` and `--cpp-flag` values. cpp's complaints are the error
 * when it fails (buildah goes on with whatever it printed, line markers only after a fatal
 * error), else a warning.
 */
function preprocess(name: string, text: string, contextDir: string, cppFlags: string[], warn?: (m: string) => void): string {
  const envFlags = process.env.BUILDAH_CPPFLAGS !== undefined ? shellWords(process.env.BUILDAH_CPPFLAGS) : [];
  const r = spawnSync('cpp', ['-E', '-iquote', contextDir, '-traditional', '-undef', ...envFlags, ...cppFlags, '-'], { input: text, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) {
    const why = (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the cpp program is not installed (.in files need it)' : r.error.message;
    throw new BuildInputError(`build image: preprocess ${name}: ${why}`);
  }
  const complaint = r.stderr.trim().split('\n').filter(Boolean).join('; ');
  if (r.status !== 0) throw new BuildInputError(`build image: preprocess ${name}: ${complaint || `cpp exited ${r.status}`}`);
  if (complaint) warn?.(`Ignoring ${complaint}`);
  return r.stdout;
}
