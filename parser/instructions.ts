/**
 * The typed instructions the parser produces: a discriminated union on `kind`. Every word is
 * kept as written (unexpanded, quotes included) where Docker expands it at build time; use
 * `expandInstruction` with the environment of the step to get the values a build uses.
 */
import type { SourceRange } from './source-range.js';

/** A command in exec form (`["a", "b"]`, kept exactly) or shell form (the text as written). */
export type Command =
  | { form: 'exec'; argv: string[] }
  | { form: 'shell'; script: string };

/** A `key=value` pair of ENV or LABEL (both parts unexpanded). */
export interface KeyValue {
  key: string;
  value: string;
}

/** A heredoc attached to RUN, or an inline file of COPY/ADD. */
export interface Heredoc {
  /** The terminator word, also the file name for COPY/ADD (`COPY <<EOF /dst` writes `/dst/EOF`). */
  name: string;
  /** The body with newlines; for `<<-` leading tabs are already removed. */
  content: string;
  /** Whether the body is expanded (the name was unquoted). RUN bodies are left to the shell. */
  expand: boolean;
  /** `<<-` was used. */
  chomp: boolean;
  /** The file descriptor digits before `<<` (0 when none). */
  fd: number;
  /** Where the body and its terminator are. */
  range: SourceRange;
}

/** One `RUN --mount=…` entry, fields as written (unexpanded). */
export interface RunMount {
  type: 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
  target?: string;
  source?: string;
  /** A stage name or index, or an image, for bind and cache mounts. */
  from?: string;
  readonly?: boolean;
  id?: string;
  sharing?: 'shared' | 'private' | 'locked';
  mode?: string;
  uid?: string;
  gid?: string;
  required?: boolean;
  size?: string;
  env?: string;
}

interface Base {
  /** From the keyword to the end of the last continuation or heredoc line. */
  range: SourceRange;
  /**
   * The logical line as Docker keeps it: continuations joined, comment lines removed, leading
   * blanks dropped, trailing blanks kept. buildah prints it as the `STEP n/m:` text of every
   * instruction but FROM (which it rebuilds as `FROM <image> [AS <name>]`).
   */
  original: string;
}

/** `FROM [--platform=p] image [AS name]`: starts a stage. */
export interface FromInstruction extends Base {
  kind: 'from';
  /** The base image, `scratch`, or an earlier stage's name (unexpanded). */
  image: string;
  /** The stage name after `AS`, lower-cased. */
  stageName?: string;
  /** `--platform` (unexpanded). */
  platform?: string;
}

/** `RUN [--mount=…] [--network=…] [--security=…] command` (exec or shell form, heredocs). */
export interface RunInstruction extends Base {
  kind: 'run';
  command: Command;
  mounts: RunMount[];
  network?: 'default' | 'none' | 'host';
  security?: 'sandbox' | 'insecure';
  /** Heredoc bodies referenced by the shell command (never expanded by the builder). */
  heredocs: Heredoc[];
}

/** `CMD`: the default command (arguments to ENTRYPOINT in exec form). */
export interface CmdInstruction extends Base {
  kind: 'cmd';
  command: Command;
}

/** `ENTRYPOINT`: the command the container runs. */
export interface EntrypointInstruction extends Base {
  kind: 'entrypoint';
  command: Command;
}

/** `SHELL ["exe", "arg"]`: the shell for later shell-form commands (JSON only). */
export interface ShellInstruction extends Base {
  kind: 'shell';
  argv: string[];
}

/** `LABEL k=v …` or legacy `LABEL k v`. */
export interface LabelInstruction extends Base {
  kind: 'label';
  pairs: KeyValue[];
}

/** `MAINTAINER text` (deprecated; sets the image author). */
export interface MaintainerInstruction extends Base {
  kind: 'maintainer';
  name: string;
}

/** `EXPOSE port[/proto] …`. */
export interface ExposeInstruction extends Base {
  kind: 'expose';
  /** Port words as written (`80`, `53/udp`, `$PORT`). */
  ports: string[];
}

/** `ENV k=v …` or legacy `ENV k v`. */
export interface EnvInstruction extends Base {
  kind: 'env';
  pairs: KeyValue[];
}

interface CopyLike extends Base {
  /** Source paths or URLs as written (heredoc sources are in `inline`). */
  sources: string[];
  /** Inline files given as heredocs, in order. */
  inline: Heredoc[];
  destination: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  exclude: string[];
  /** Whether the source list was written in JSON form. */
  json: boolean;
}

/** `COPY [--from] [--chown] [--chmod] [--link] [--parents] [--exclude] src… dest`. */
export interface CopyInstruction extends CopyLike {
  kind: 'copy';
  /** `--from`: a stage name, a stage index or an image reference. */
  from?: string;
  parents: boolean;
}

/** `ADD [--chown] [--chmod] [--link] [--checksum] [--keep-git-dir] [--parents] [--exclude] src… dest`. */
export interface AddInstruction extends CopyLike {
  kind: 'add';
  /** `--parents` (present only when given, like BuildKit's labs flag on ADD). */
  parents?: boolean;
  /** `--checksum` (`sha256:…`), only for remote sources. */
  checksum?: string;
  keepGitDir: boolean;
}

/** One name of an ARG line; `default` is absent for `ARG NAME`. */
export interface ArgDeclaration {
  name: string;
  default?: string;
}

/** `ARG name[=default] …`. */
export interface ArgInstruction extends Base {
  kind: 'arg';
  args: ArgDeclaration[];
}

/** `USER user[:group]` (unexpanded). */
export interface UserInstruction extends Base {
  kind: 'user';
  user: string;
}

/** `WORKDIR path` (the whole rest of the line). */
export interface WorkdirInstruction extends Base {
  kind: 'workdir';
  path: string;
}

/** `VOLUME ["/a", …]` or `VOLUME /a /b`. */
export interface VolumeInstruction extends Base {
  kind: 'volume';
  paths: string[];
  json: boolean;
}

/** `STOPSIGNAL signal`. */
export interface StopsignalInstruction extends Base {
  kind: 'stopsignal';
  signal: string;
}

/** HEALTHCHECK; `test` is what the image config stores (`["NONE"]`, `["CMD", …]`, `["CMD-SHELL", s]`). */
export interface HealthcheckInstruction extends Base {
  kind: 'healthcheck';
  test: string[];
  /** Durations in nanoseconds, as the image config stores them. Absent when not given. */
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  startIntervalNs?: number;
  retries?: number;
}

/** `ONBUILD instruction`: a trigger stored in the image for child builds. */
export interface OnbuildInstruction extends Base {
  kind: 'onbuild';
  /** The trigger text recorded in the image config's `OnBuild` list. */
  expression: string;
  /** The trigger parsed (never FROM, MAINTAINER or ONBUILD). */
  trigger: Instruction;
}

/** Every instruction. Dispatch with an exhaustive `switch (i.kind)`. */
export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | LabelInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | EnvInstruction
  | CopyInstruction
  | AddInstruction
  | ArgInstruction
  | UserInstruction
  | WorkdirInstruction
  | VolumeInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | OnbuildInstruction;

/** The `kind` values. */
export type InstructionKind = Instruction['kind'];
