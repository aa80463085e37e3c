/**
 * One logical line -> one typed instruction, with BuildKit's rules for each keyword (argument
 * counts, exec vs shell form, ENV/LABEL `k=v` and legacy `k v` forms, flags) and its messages.
 */
import { checkFlags, extractFlags, FlagError, type FlagType, type FlagValues } from './builder-flags.js';
import { parseGoDuration } from './duration.js';
import { NOT_STRING_ARRAY, parseExecForm } from './exec-form.js';
import { parseHeredocWord } from './heredoc.js';
import type {
  ArgDeclaration, Command, Heredoc, Instruction, KeyValue, RunMount,
} from './instructions.js';
import { positionAt, type LogicalLine } from './logical-lines.js';
import { ContainerfileError } from './parse-error.js';
import type { ParseWarning } from './parse-warning.js';
import { MountError, parseRunMount } from './run-mount.js';
import { splitOnWhitespace, splitQuotedWords } from './words.js';

const KEYWORD_SPLIT = /[\t\v\f\r ]+/;
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Flags each instruction accepts; an instruction missing here accepts none. */
const FLAGS: Record<string, Record<string, FlagType>> = {
  from: { platform: 'string' },
  run: { mount: 'strings', network: 'string', security: 'string' },
  copy: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' },
  add: { chown: 'string', chmod: 'string', link: 'bool', checksum: 'string', 'keep-git-dir': 'bool', parents: 'bool', exclude: 'strings' },
  healthcheck: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

/** Everything the instruction parsers need to report a position. */
export interface LineContext {
  filename: string;
  escape: string;
  line: LogicalLine;
  /** Receives style warnings; omitted, they are dropped. */
  warn?: (w: ParseWarning) => void;
}

class Ctx {
  /** Absolute offset of each flag in the logical line, by name. */
  flagOffsets = new Map<string, number>();
  constructor(readonly c: LineContext, readonly keyword: string, readonly keywordOffset: number) {}
  flagAt(name: string): number {
    return this.flagOffsets.get(name) ?? this.keywordOffset;
  }
  warn(offset: number, code: ParseWarning['code'], message: string): void {
    if (!this.c.warn) return;
    const p = positionAt(this.c.line, offset);
    this.c.warn({ code, line: p.line, column: p.column, message });
  }
  fail(offset: number, message: string): never {
    const p = positionAt(this.c.line, offset);
    throw new ContainerfileError(this.c.filename, p.line, p.column, message);
  }
  get upper(): string {
    return this.keyword.toUpperCase();
  }
}

function toHeredoc(h: LogicalLine['heredocs'][number]): Heredoc {
  return { name: h.name, content: h.content, expand: h.expand, chomp: h.chomp, fd: h.fd, range: h.range };
}

/**
 * Parses one logical line into an instruction.
 * @throws ContainerfileError for an unknown instruction, bad flags, bad arguments or bad JSON.
 */
export function parseInstruction(c: LineContext): Instruction {
  const full = c.line.text;
  const lead = full.length - full.replace(/^\s+/u, '').length;
  const trimmed = full.trim();
  const m = KEYWORD_SPLIT.exec(trimmed);
  const keywordRaw = m ? trimmed.slice(0, m.index) : trimmed;
  const keyword = keywordRaw.toLowerCase();
  const afterKeyword = m ? lead + m.index + m[0].length : full.length;
  const ctx: Ctx = new Ctx(c, keyword, lead);
  const argText = m ? trimmed.slice(m.index + m[0].length) : '';
  const extracted = extractFlags(argText);
  const rawFlags = extracted.flags;
  // After a lone `--` the arguments start after the blanks that follow it.
  const afterFlags = argText.slice(extracted.restOffset);
  const restOffset = extracted.restOffset + (afterFlags.length - afterFlags.replace(/^\s+/u, '').length);
  const rest = argText.slice(restOffset);
  const restAt = afterKeyword + restOffset;
  // Docker's "original": the joined line, trailing blanks included (buildah prints it as the STEP line).
  const base = {
    range: c.line.range,
    original: full.slice(lead),
  };

  if (!Object.prototype.hasOwnProperty.call(KEYWORDS, keyword)) {
    ctx.fail(lead, `unknown instruction: ${keywordRaw}`);
  }
  let flags: FlagValues;
  try {
    flags = checkFlags(rawFlags, FLAGS[keyword] ?? {});
  } catch (e) {
    if (e instanceof FlagError) ctx.fail(afterKeyword + e.offset, `${ctx.upper}: ${e.message}`);
    throw e;
  }
  for (const [name, off] of flags.offsets) ctx.flagOffsets.set(name, afterKeyword + off);
  const flagAt = (name: string) => ctx.flagAt(name);

  switch (keyword) {
    case 'from': {
      const words = splitOnWhitespace(rest);
      if (rest === '' || (words.length !== 1 && words.length !== 3)) {
        ctx.fail(lead, 'FROM requires either one or three arguments');
      }
      let stageName: string | undefined;
      if (words.length === 3) {
        const as = words[1]!.text;
        if (as.toLowerCase() !== 'as') ctx.fail(restAt + words[1]!.offset, `FROM: expected "AS" before the stage name, found "${as}"`);
        if ((keywordRaw === keywordRaw.toUpperCase()) !== (as === as.toUpperCase())) {
          ctx.warn(restAt + words[1]!.offset, 'FromAsCasing', `'${as}' and '${keywordRaw}' keywords' casing do not match`);
        }
        if (words[2]!.text !== words[2]!.text.toLowerCase()) {
          ctx.warn(restAt + words[2]!.offset, 'StageNameCasing', `Stage name '${words[2]!.text}' should be lowercase`);
        }
        stageName = words[2]!.text.toLowerCase();
        if (!STAGE_NAME.test(stageName)) {
          ctx.fail(restAt + words[2]!.offset, `invalid name for build stage: "${words[2]!.text}", name can't start with a number or contain symbols`);
        }
      }
      const platform = flags.strings.get('platform');
      return {
        kind: 'from', ...base, image: words[0]!.text,
        ...(stageName !== undefined ? { stageName } : {}),
        ...(platform !== undefined ? { platform } : {}),
      };
    }
    case 'run': {
      if (rest === '') ctx.fail(lead, 'RUN requires at least one argument');
      const command = parseCommand(ctx, rest, restAt);
      const mounts: RunMount[] = [];
      for (const value of flags.lists.get('mount') ?? []) {
        try {
          mounts.push(parseRunMount(value));
        } catch (e) {
          if (e instanceof MountError) ctx.fail(flagAt('mount'), `RUN --mount: ${e.message}`);
          throw e;
        }
      }
      const network = flags.strings.get('network');
      if (network !== undefined && !['default', 'none', 'host'].includes(network)) {
        ctx.fail(flagAt('network'), `RUN --network: unsupported network mode "${network}" (use default, none or host)`);
      }
      const security = flags.strings.get('security');
      if (security !== undefined && !['sandbox', 'insecure'].includes(security)) {
        ctx.fail(flagAt('security'), `RUN --security: unsupported security mode "${security}" (use sandbox or insecure)`);
      }
      return {
        kind: 'run', ...base, command, mounts,
        ...(network !== undefined ? { network: network as 'default' | 'none' | 'host' } : {}),
        ...(security !== undefined ? { security: security as 'sandbox' | 'insecure' } : {}),
        heredocs: command.form === 'shell' ? c.line.heredocs.map(toHeredoc) : [],
      };
    }
    case 'cmd':
    case 'entrypoint': {
      // Without arguments, buildah clears ENTRYPOINT and sets CMD to the bare SHELL.
      if (rest === '' && keyword === 'entrypoint') {
        return { kind: 'entrypoint', ...base, command: { form: 'exec', argv: [] } };
      }
      const command = rest === '' ? { form: 'shell' as const, script: '' } : parseCommand(ctx, rest, restAt);
      if (command.form === 'shell' && rest !== '') {
        ctx.warn(restAt, 'JSONArgsRecommended', `JSON arguments recommended for ${ctx.upper} to prevent unintended behavior related to OS signals`);
      }
      return keyword === 'cmd' ? { kind: 'cmd', ...base, command } : { kind: 'entrypoint', ...base, command };
    }
    case 'shell': {
      const r = parseExecForm(rest);
      if (r.kind === 'not-strings') ctx.fail(restAt, `SHELL: ${NOT_STRING_ARRAY}`);
      if (r.kind !== 'exec') ctx.fail(restAt, 'SHELL requires the arguments to be in JSON form');
      if (r.argv.length === 0) ctx.fail(restAt, 'SHELL requires at least one argument');
      return { kind: 'shell', ...base, argv: r.argv };
    }
    case 'label':
      return { kind: 'label', ...base, pairs: parseNameValues(ctx, rest, restAt) };
    case 'env':
      return { kind: 'env', ...base, pairs: parseNameValues(ctx, rest, restAt) };
    case 'maintainer':
      if (rest === '') ctx.fail(lead, 'MAINTAINER requires exactly one argument');
      ctx.warn(lead, 'MaintainerDeprecated', 'Maintainer instruction is deprecated in favor of using label');
      return { kind: 'maintainer', ...base, name: rest };
    case 'expose': {
      if (rest === '') ctx.fail(lead, 'EXPOSE requires at least one argument');
      return { kind: 'expose', ...base, ports: splitOnWhitespace(rest).map((w) => w.text) };
    }
    case 'copy':
    case 'add':
      return parseCopyLike(ctx, base, rest, restAt, flags);
    case 'arg':
      return { kind: 'arg', ...base, args: parseArgs(ctx, rest, restAt) };
    case 'user':
      if (rest === '') ctx.fail(lead, 'USER requires exactly one argument');
      return { kind: 'user', ...base, user: rest };
    case 'workdir':
      if (rest === '') ctx.fail(lead, 'WORKDIR requires exactly one argument');
      return { kind: 'workdir', ...base, path: rest };
    case 'stopsignal':
      if (rest === '') ctx.fail(lead, 'STOPSIGNAL requires exactly one argument');
      return { kind: 'stopsignal', ...base, signal: rest };
    case 'volume': {
      if (rest === '') ctx.fail(lead, 'VOLUME requires at least one argument');
      const r = parseExecForm(rest);
      if (r.kind === 'not-strings') ctx.fail(restAt, `VOLUME: ${NOT_STRING_ARRAY}`);
      const paths = r.kind === 'exec' ? r.argv : splitOnWhitespace(rest).map((w) => w.text);
      if (paths.length === 0) ctx.fail(lead, 'VOLUME requires at least one argument');
      paths.forEach((p) => {
        if (p.trim() === '') ctx.fail(restAt, 'VOLUME specified can not be an empty string');
      });
      return { kind: 'volume', ...base, paths, json: r.kind === 'exec' };
    }
    case 'healthcheck':
      return parseHealthcheck(ctx, base, rest, restAt, flags);
    case 'onbuild': {
      if (rest === '') ctx.fail(lead, 'ONBUILD requires at least one argument');
      const tm = KEYWORD_SPLIT.exec(rest);
      const triggerKeyword = (tm ? rest.slice(0, tm.index) : rest).toLowerCase();
      if (triggerKeyword === 'onbuild') ctx.fail(restAt, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (triggerKeyword === 'from' || triggerKeyword === 'maintainer') {
        ctx.fail(restAt, `${triggerKeyword.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      }
      const sub: LogicalLine = {
        text: c.line.text.slice(restAt),
        range: c.line.range,
        heredocs: c.line.heredocs,
        segments: shiftSegments(c.line, restAt),
      };
      const trigger = parseInstruction({ filename: c.filename, escape: c.escape, line: sub, ...(c.warn ? { warn: c.warn } : {}) });
      let expression = full.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of c.line.heredocs) expression += `\n${h.content}${h.name}`;
      return { kind: 'onbuild', ...base, expression, trigger };
    }
  }
  return ctx.fail(lead, `unknown instruction: ${keywordRaw}`);
}

const KEYWORDS: Record<string, true> = Object.fromEntries(
  ['from', 'run', 'cmd', 'entrypoint', 'shell', 'label', 'maintainer', 'expose', 'env', 'add', 'copy', 'arg',
    'user', 'workdir', 'volume', 'stopsignal', 'healthcheck', 'onbuild'].map((k) => [k, true]),
);

function shiftSegments(line: LogicalLine, by: number): LogicalLine['segments'] {
  const first = positionAt(line, by);
  const after = line.segments.filter((s) => s.offset > by).map((s) => ({ ...s, offset: s.offset - by }));
  return [{ offset: 0, line: first.line, column: first.column }, ...after];
}

function parseCommand(ctx: Ctx, rest: string, restAt: number): Command {
  const r = parseExecForm(rest);
  if (r.kind === 'not-strings') ctx.fail(restAt, `${ctx.upper}: ${NOT_STRING_ARRAY}`);
  if (r.kind === 'exec') return { form: 'exec', argv: r.argv };
  return { form: 'shell', script: rest };
}

function parseNameValues(ctx: Ctx, rest: string, restAt: number): KeyValue[] {
  const words = splitQuotedWords(rest, ctx.c.escape);
  if (words.length === 0) ctx.fail(ctx.keywordOffset, `${ctx.upper} requires at least one argument`);
  if (!words[0]!.text.includes('=')) {
    // Legacy `KEY name value`: the value is the rest of the line after the first blank.
    const m = /[\t\v\f\r ]+/.exec(rest);
    if (!m) ctx.fail(ctx.keywordOffset, `${ctx.upper} must have two arguments`);
    ctx.warn(restAt, 'LegacyKeyValueFormat', `"${ctx.upper} key=value" should be used instead of legacy "${ctx.upper} key value" format`);
    return [{ key: rest.slice(0, m.index), value: rest.slice(m.index + m[0].length) }];
  }
  return words.map((w) => {
    const eq = w.text.indexOf('=');
    if (eq < 0) ctx.fail(restAt + w.offset, `Syntax error - can't find = in "${w.text}". Must be of the form: name=value`);
    const key = w.text.slice(0, eq);
    if (key === '') ctx.fail(restAt + w.offset, `${ctx.upper} names can not be blank`);
    return { key, value: w.text.slice(eq + 1) };
  });
}

function parseArgs(ctx: Ctx, rest: string, restAt: number): ArgDeclaration[] {
  const words = splitQuotedWords(rest, ctx.c.escape);
  if (words.length === 0) ctx.fail(ctx.keywordOffset, 'ARG requires at least one argument');
  return words.map((w) => {
    const eq = w.text.indexOf('=');
    if (eq === 0) ctx.fail(restAt + w.offset, 'ARG names can not be blank');
    return eq < 0 ? { name: w.text } : { name: w.text.slice(0, eq), default: w.text.slice(eq + 1) };
  });
}

function parseCopyLike(
  ctx: Ctx,
  base: { range: LogicalLine['range']; original: string },
  rest: string,
  restAt: number,
  flags: FlagValues,
): Instruction {
  const upper = ctx.upper;
  const r = parseExecForm(rest);
  if (r.kind === 'not-strings') ctx.fail(restAt, `${upper}: ${NOT_STRING_ARRAY}`);
  const words = r.kind === 'exec' ? r.argv : rest === '' ? [] : splitOnWhitespace(rest).map((w) => w.text);
  if (words.length < 2) {
    ctx.fail(ctx.keywordOffset, `${upper} requires at least two arguments, but only ${words.length === 0 ? 'none were' : 'one was'} provided. Destination could not be determined`);
  }
  const destination = words[words.length - 1]!;
  if (r.kind !== 'exec' && parseHeredocWord(destination)) {
    ctx.fail(restAt, `${upper} cannot accept a heredoc as a destination`);
  }
  const heredocs = r.kind === 'exec' ? [] : ctx.c.line.heredocs;
  const byName = new Map(heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const inline: Heredoc[] = [];
  for (const w of words.slice(0, -1)) {
    const h = r.kind === 'exec' ? undefined : parseHeredocWord(w);
    const body = h ? byName.get(h.name) : undefined;
    if (h && body) inline.push(toHeredoc(body));
    else sources.push(w);
  }
  const chmod = flags.strings.get('chmod');
  if (chmod !== undefined && !chmod.includes('$') && !/^[0-7]{1,4}$/.test(chmod)) {
    ctx.fail(ctx.flagAt('chmod'), `${upper} --chmod: invalid mode "${chmod}" (expected octal, e.g. 0755)`);
  }
  const chown = flags.strings.get('chown');
  const common = {
    ...base, sources, inline, destination,
    ...(chown !== undefined ? { chown } : {}),
    ...(chmod !== undefined ? { chmod } : {}),
    link: flags.bools.get('link') ?? false,
    exclude: flags.lists.get('exclude') ?? [],
    json: r.kind === 'exec',
  };
  if (ctx.keyword === 'copy') {
    const from = flags.strings.get('from');
    if (from === '') ctx.fail(ctx.flagAt('from'), 'COPY --from: the value can not be empty');
    return { kind: 'copy', ...common, ...(from !== undefined ? { from } : {}), parents: flags.bools.get('parents') ?? false };
  }
  const checksum = flags.strings.get('checksum');
  if (checksum !== undefined) {
    if (!checksum.includes('$') && !/^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/.test(checksum)) {
      ctx.fail(ctx.flagAt('checksum'), `ADD --checksum: invalid digest "${checksum}" (expected sha256:<64 hex digits>)`);
    }
    if (sources.some((s) => !/^https?:\/\//.test(s)) || inline.length > 0) {
      ctx.fail(restAt, 'ADD --checksum is only supported for HTTP(S) sources');
    }
  }
  return {
    kind: 'add', ...common,
    ...(checksum !== undefined ? { checksum } : {}),
    keepGitDir: flags.bools.get('keep-git-dir') ?? false,
    ...(flags.bools.get('parents') ? { parents: true } : {}),
  };
}

function parseHealthcheck(
  ctx: Ctx,
  base: { range: LogicalLine['range']; original: string },
  rest: string,
  restAt: number,
  flags: FlagValues,
): Instruction {
  const m = /\s/u.exec(rest);
  const typ = m ? rest.slice(0, m.index) : rest;
  if (typ === '') ctx.fail(ctx.keywordOffset, 'HEALTHCHECK requires at least one argument');
  const cmdText = m ? rest.slice(m.index).replace(/^\s+/u, '') : '';
  const cmdAt = restAt + (rest.length - cmdText.length);
  const upperTyp = typ.toUpperCase();
  if (upperTyp === 'NONE') {
    if (cmdText !== '') ctx.fail(cmdAt, 'HEALTHCHECK NONE takes no arguments');
    return { kind: 'healthcheck', ...base, test: ['NONE'] };
  }
  if (upperTyp !== 'CMD') ctx.fail(restAt, `Unknown type "${typ}" in HEALTHCHECK (try CMD)`);
  if (cmdText === '') ctx.fail(restAt, 'Missing command after HEALTHCHECK CMD');
  const command = parseCommand(ctx, cmdText, cmdAt);
  const test = command.form === 'exec' ? ['CMD', ...command.argv] : ['CMD-SHELL', command.script];
  const out: Extract<Instruction, { kind: 'healthcheck' }> = { kind: 'healthcheck', ...base, test };
  const durations: Array<[string, 'intervalNs' | 'timeoutNs' | 'startPeriodNs' | 'startIntervalNs']> = [
    ['interval', 'intervalNs'], ['timeout', 'timeoutNs'], ['start-period', 'startPeriodNs'], ['start-interval', 'startIntervalNs'],
  ];
  for (const [flag, field] of durations) {
    const v = flags.strings.get(flag);
    if (v === undefined || v === '') continue;
    const ns = parseGoDuration(v);
    const at = ctx.flagAt(flag);
    if (ns === undefined) ctx.fail(at, `HEALTHCHECK --${flag}: invalid duration "${v}"`);
    if (ns < 0) ctx.fail(at, `HEALTHCHECK --${flag}: Interval "${v}" cannot be negative`);
    if (ns > 0 && ns < 1e6) ctx.fail(at, `HEALTHCHECK --${flag}: Interval "${v}" cannot be less than 1ms`);
    out[field] = ns;
  }
  const retries = flags.strings.get('retries');
  if (retries !== undefined && retries !== '') {
    if (!/^[+-]?\d+$/.test(retries) || Math.abs(Number(retries)) > 2147483647) {
      ctx.fail(ctx.flagAt('retries'), `HEALTHCHECK --retries: invalid number "${retries}"`);
    }
    const n = Number(retries);
    if (n < 0) ctx.fail(ctx.flagAt('retries'), `HEALTHCHECK --retries cannot be negative (${n})`);
    out.retries = n;
  }
  return out;
}
