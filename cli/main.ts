/**
 * The trowel command line: a thin shell over the library. Each command lives in its own file
 * and is loaded only when used, so start-up stays lean.
 */
export async function main(argv: string[]): Promise<void> {
  const { runCli } = await import('./program.js');
  await runCli(argv);
}
