/**
 * The `--layers` build cache: a step's key is sha256 over its parent's key, the canonical
 * (expanded) instruction and its inputs' digests; the index maps keys to the image each step
 * produced. It is one JSON file in the store (`build-cache/index.json`), read once per build, so
 * a lookup is a map access, never a scan of the images.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../storage/atomic.js';
import type { Store } from '../../storage/store.js';
import type { Instruction } from '../../parser/index.js';
import { hashParts } from './history.js';

/** An instruction without its position, so moving a line does not change its key. */
export function canonicalInstruction(step: Instruction): string {
  return JSON.stringify(step, (k, v) => (k === 'range' ? undefined : v));
}

/** The key of a step: parent key, canonical instruction and input digests (order matters). */
export function stepKey(parentKey: string, step: Instruction | string, inputs: readonly string[]): string {
  return hashParts([parentKey, typeof step === 'string' ? step : canonicalInstruction(step), ...inputs]);
}

/** Keys to image ids, stored in the store. */
export class CacheIndex {
  private readonly path: string;
  private entries: Record<string, string>;

  constructor(private readonly store: Store) {
    const dir = join(store.root, 'build-cache');
    this.path = join(dir, 'index.json');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      this.entries = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>;
    } catch {
      this.entries = {};
    }
  }

  /** The image recorded for `key`, if it still exists in the store. */
  lookup(key: string): string | undefined {
    const id = this.entries[key];
    if (!id) return undefined;
    return this.store.images().some((i) => i.id === id) ? id : undefined;
  }

  /** Records `key -> imageId`, merging with what other builds wrote meanwhile. */
  record(key: string, imageId: string): void {
    this.entries[key] = imageId;
    let onDisk: Record<string, string> = {};
    try {
      onDisk = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>;
    } catch {
      /* first entry */
    }
    writeJsonAtomic(this.path, { ...onDisk, [key]: imageId });
  }
}
