/**
 * The trowel command line: a thin shell over the library. Each command lives in its own file
 * and is loaded only when used, so start-up stays lean.
 */
export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`trowel images | head -1`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const { runCli } = await import('./program.js');
  await runCli(argv);
}
