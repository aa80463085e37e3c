import type { CommandModule } from 'yargs';
import { createInterface } from 'node:readline';
import { InvalidArgumentError } from '../oci/error.js';
import { RegistryClient } from '../registry/distribution/client.js';
import { RegistryAuthError } from '../registry/distribution/errors.js';
import { findCredentials, normalizeAuthKey, storeCredentials } from '../registry/config/auth-file.js';
import { registryAccess } from '../registry/config/access.js';
import { loadRegistriesConf } from '../registry/config/registries-conf.js';
import { NotLoggedInError } from '../registry/config/errors.js';
import type { Credentials } from '../registry/distribution/credentials.js';
import type { GlobalArgs } from './global-options.js';

interface LoginArgs extends GlobalArgs {
  registry?: string;
  authfile?: string;
  'cert-dir'?: string;
  'get-login'?: boolean;
  password?: string;
  'password-stdin'?: boolean;
  'tls-verify'?: boolean;
  username?: string;
  verbose?: boolean;
}

/** `https://host/ns/` -> `host/ns` (the auth key) and `host` (what is pinged). */
export function splitLoginTarget(input: string): { key: string; host: string } {
  const key = normalizeAuthKey(input);
  if (key === '' || /\s/.test(key)) throw new InvalidArgumentError(`log in to ${JSON.stringify(input)}: not a registry name`);
  return { key, host: key.split('/')[0]! };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * Asks questions on the terminal, or reads answers line by line from stdin when it is not one.
 * One reader serves every question, so piped answers are not lost between them. On a terminal
 * a secret answer is not echoed.
 */
class Prompter {
  private rl: ReturnType<typeof createInterface> | undefined;
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;
  private muted = false;

  private open(): ReturnType<typeof createInterface> {
    if (this.rl) return this.rl;
    const tty = process.stdin.isTTY === true;
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: tty });
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    const write = out._writeToOutput.bind(rl);
    out._writeToOutput = (text: string) => { if (!this.muted) write(text); };
    rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    rl.on('close', () => {
      this.closed = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    });
    this.rl = rl;
    return rl;
  }

  async ask(question: string, secret: boolean): Promise<string> {
    this.open();
    process.stderr.write(question);
    this.muted = secret && process.stdin.isTTY === true;
    const answer = this.lines.shift() ?? (this.closed ? undefined : await new Promise<string | undefined>((resolve) => { this.waiting = resolve; }));
    if (this.muted) process.stderr.write('\n');
    this.muted = false;
    if (answer === undefined) throw new InvalidArgumentError(`read ${question.replace(/:\s*$/, '').toLowerCase()}: no input`);
    return answer;
  }

  close(): void {
    this.rl?.close();
  }
}

const cmd: CommandModule<GlobalArgs, LoginArgs> = {
  command: 'login [registry]',
  describe: 'Login to a container registry',
  builder: (y) => y
    .positional('registry', { type: 'string', describe: 'registry to log in to (host[:port][/namespace])' })
    .option('authfile', { type: 'string', describe: 'path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override' })
    .option('cert-dir', { type: 'string', describe: 'use certificates at the specified path to access the registry' })
    .option('get-login', { type: 'boolean', describe: 'return the current login user for the registry' })
    .option('password', { alias: 'p', type: 'string', describe: 'Password for registry' })
    .option('password-stdin', { type: 'boolean', describe: 'Take the password from stdin' })
    .option('tls-verify', { type: 'boolean', describe: 'require HTTPS and verify certificates when accessing the registry' })
    .option('username', { alias: 'u', type: 'string', describe: 'Username for registry' })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'Write more detailed information to stdout' }) as never,
  handler: async (args) => {
    if (!args.registry) throw new InvalidArgumentError('log in: missing registry (trowel login REGISTRY)');
    const { key, host } = splitLoginTarget(args.registry);
    const fileOpts = args.authfile ? { authFile: args.authfile } : {};
    if (args['get-login']) {
      const found = await findCredentials(host, key.includes('/') ? key.slice(host.length + 1) : undefined, fileOpts);
      if (!found || found.credentials.username === undefined) throw new NotLoggedInError(`get login for ${key}: not logged into ${key}`);
      process.stdout.write(`${found.credentials.username}\n`);
      return;
    }
    if (args.password !== undefined && args['password-stdin']) throw new InvalidArgumentError('log in: --password and --password-stdin are mutually exclusive');
    let password = args['password-stdin'] ? await readStdin() : args.password;
    let username = args.username;
    const conf = loadRegistriesConf();
    const access = await registryAccess(host, undefined, {
      ...fileOpts, ...(args['cert-dir'] ? { certDir: args['cert-dir'] } : {}),
      ...(args['tls-verify'] !== undefined ? { tlsVerify: args['tls-verify'] } : {}), registriesConf: conf,
    });
    const check = async (credentials: Credentials): Promise<void> => {
      const client = new RegistryClient({
        registry: host, ...(host === 'docker.io' ? { endpoint: 'registry-1.docker.io' } : {}),
        insecure: access.insecure, tls: access.tls, credentials, retry: { retries: 1 },
      });
      try {
        await client.checkLogin();
      } catch (err) {
        if (err instanceof RegistryAuthError) throw new RegistryAuthError(`log in to ${key}: invalid username/password`, { registry: host });
        throw err;
      } finally {
        await client.close();
      }
    };
    if (username === undefined && password === undefined && access.credentials) {
      // buildah checks stored credentials before asking for new ones.
      process.stdout.write(`Authenticating with existing credentials for ${key}\n`);
      try {
        await check(access.credentials);
        process.stdout.write(`Existing credentials are valid. Already logged in to ${key}\n`);
        return;
      } catch (err) {
        if (!(err instanceof RegistryAuthError)) throw err;
        process.stdout.write('Existing credentials are invalid, please enter valid username and password\n');
      }
    }
    const prompter = new Prompter();
    try {
      username ??= await prompter.ask('Username: ', false);
      if (username === '') throw new InvalidArgumentError(`log in to ${key}: user name is empty`);
      password ??= await prompter.ask('Password: ', true);
    } finally {
      prompter.close();
    }
    await check({ username, password });
    const file = await storeCredentials(key, username, password, fileOpts);
    if (args.verbose) process.stdout.write(`Used: ${file}\n`);
    process.stdout.write('Login Succeeded!\n');
  },
};
export default cmd;
