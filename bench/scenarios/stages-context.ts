import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUSYBOX_IMAGE } from '../busybox.js';
import { generateTree } from '../generate-tree.js';
import { describeTree, scaled } from './common.js';

/** A generated 3-stage build: its context directory, Containerfile path and size. */
export interface StagesContext {
  dir: string;
  containerfile: string;
  inputs: string;
}

/**
 * Writes a context for a 3-stage build: two independent builder stages (each copies its own
 * part of the context and does some CPU and I/O work in RUN) and a final stage that copies
 * both results. 2 x 1,000 files / 20 MB at full scale.
 */
export async function writeStagesContext(dir: string, scale: number): Promise<StagesContext> {
  const files = scaled(1_000, scale), bytes = scaled(20e6, scale);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await generateTree(join(dir, 'part-a'), { files, bytes, seed: 201 });
  await generateTree(join(dir, 'part-b'), { files, bytes, seed: 202 });
  const containerfile = join(dir, 'Containerfile');
  await writeFile(
    containerfile,
    [
      `FROM ${BUSYBOX_IMAGE} AS builder-a`,
      'COPY part-a/ /src/',
      `RUN mkdir -p /out && tar -cf /out/src.tar /src && head -c ${bytes} /dev/urandom > /out/random.bin`,
      '',
      `FROM ${BUSYBOX_IMAGE} AS builder-b`,
      'COPY part-b/ /src/',
      'RUN mkdir -p /out && tar -cf - /src | gzip -1 > /out/src.tar.gz && find /src -type f | wc -l > /out/count',
      '',
      `FROM ${BUSYBOX_IMAGE}`,
      'COPY --from=builder-a /out/ /opt/a/',
      'COPY --from=builder-b /out/ /opt/b/',
      'ENV RESULT=/opt',
      'CMD ["/bin/sh"]',
      '',
    ].join('\n'),
  );
  return { dir, containerfile, inputs: `2 builder stages, each ${describeTree(files, bytes)}` };
}
