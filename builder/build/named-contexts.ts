/**
 * `bud --build-context NAME=VALUE`: more contexts a Containerfile names where it names a stage
 * (FROM, COPY --from, RUN --mount from=), taken before stages and images of the same name, as
 * buildah takes them. VALUE is a local directory, an http(s) URL of a tarball (or a git
 * repository), or an image: `container-image://REF` (also `docker-image://`, `docker://`).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '../../oci/error.js';
import { contextFromUrl } from './url-context.js';
import type { TemporaryContext } from './temporary-context.js';

/** A named context: a directory to read from, or an image reference. */
export type NamedContext = { kind: 'dir'; path: string } | { kind: 'image'; reference: string };

/** The contexts of one build; `remove()` deletes the downloaded ones. */
export interface NamedContexts {
  contexts: Record<string, NamedContext>;
  remove(): void;
}

const IMAGE_PREFIXES = ['container-image://', 'docker-image://', 'docker://'];

function bad(spec: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`parse --build-context ${JSON.stringify(spec)}: ${why}`);
}

/**
 * Checks each `NAME=VALUE` and makes its context: images are only named here (pulled when the
 * build uses them), URLs are fetched into `tmpDir`, directories must exist.
 * @throws InvalidArgumentError for a malformed spec, a repeated name or a missing directory;
 *   the fetch's own error for a URL.
 */
export async function prepareNamedContexts(specs: readonly string[], tmpDir: string, signal?: AbortSignal): Promise<NamedContexts> {
  const contexts: Record<string, NamedContext> = {};
  const fetched: TemporaryContext[] = [];
  const remove = () => fetched.forEach((f) => f.remove());
  try {
    for (const spec of specs) {
      const eq = spec.indexOf('=');
      const name = eq < 0 ? '' : spec.slice(0, eq);
      const value = eq < 0 ? '' : spec.slice(eq + 1);
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) || value === '') throw bad(spec, 'want NAME=VALUE');
      if (Object.hasOwn(contexts, name)) throw bad(spec, `${name} is given twice`);
      const prefix = IMAGE_PREFIXES.find((p) => value.startsWith(p));
      if (prefix) {
        const reference = value.slice(prefix.length);
        if (reference === '') throw bad(spec, 'missing image reference');
        contexts[name] = { kind: 'image', reference };
      } else if (/^https?:\/\//i.test(value)) {
        const ctx = await contextFromUrl(value, tmpDir, signal);
        fetched.push(ctx);
        contexts[name] = { kind: 'dir', path: ctx.contextDir };
      } else {
        const path = resolve(value);
        if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw bad(spec, `${value} is not a directory`);
        contexts[name] = { kind: 'dir', path };
      }
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { contexts, remove };
}
