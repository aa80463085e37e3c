/**
 * buildah's build output: `STEP n/m: INSTRUCTION`, `--> Using cache <id>`, `--> <short id>`,
 * `COMMIT name`, `Successfully tagged name`. With more than one stage every line starts with
 * `[i/N] ` (the stage's place among the stages built), so lines of parallel stages stay readable.
 */

/** Where a stage's lines go. */
export class StageProgress {
  private readonly prefix: string;

  constructor(private readonly write: (line: string) => void, position: number, stageCount: number, private readonly stepCount: number) {
    this.prefix = stageCount > 1 ? `[${position}/${stageCount}] ` : '';
  }

  /** `STEP n/m: <first line of the instruction>` (n is 1-based, FROM is step 1). */
  step(n: number, text: string): void {
    this.write(`${this.prefix}STEP ${n}/${this.stepCount}: ${text}`);
  }

  usingCache(imageId: string): void {
    this.write(`${this.prefix}--> Using cache ${imageId}`);
  }

  /** The image a step or stage produced (`--> 0123456789a`, 11 characters like buildah). */
  produced(imageId: string): void {
    this.write(`${this.prefix}--> ${imageId.slice(0, 11)}`);
  }

  commit(name: string | undefined): void {
    this.write(`${this.prefix}COMMIT${name ? ` ${name}` : ''}`);
  }

  line(text: string): void {
    this.write(`${this.prefix}${text}`);
  }
}
