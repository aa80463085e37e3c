/**
 * The compatibility cases: small Containerfiles built by trowel and by Debian's buildah from the
 * same busybox base (`localhost/busybox`, see test/support/busybox-image.ts) and the same context
 * (testdata/bud/compat-context, plus per-case files). Each covers one instruction or edge case.
 * `difference` marks a case whose result differs on purpose; its reason is printed and listed in
 * README.md.
 */

/** One case. */
export interface CompatCase {
  name: string;
  containerfile: string;
  /** Extra context files (path -> content), on top of the shared context. */
  files?: Record<string, string>;
  buildArgs?: Record<string, string>;
  target?: string;
  /** `--format` for both builders (default oci). */
  format?: 'docker';
  /** Set when trowel deliberately differs from buildah 1.28 here: the reason. */
  difference?: string;
}

export const CASES: CompatCase[] = [
  { name: 'from-only', containerfile: 'FROM busybox\n' },
  { name: 'scratch-copy', containerfile: 'FROM scratch\nCOPY a.txt /\n' },
  { name: 'env-basic', containerfile: 'FROM busybox\nENV A=1 B="two words"\n' },
  { name: 'env-expansion', containerfile: 'FROM busybox\nENV A=1\nENV B=${A}x C=$A D=${UNSET:-dflt}\n' },
  { name: 'env-legacy-form', containerfile: 'FROM busybox\nENV X hello world\n' },
  { name: 'env-visible-to-run', containerfile: 'FROM busybox\nENV A=from-env\nRUN echo "$A" > /a\n' },
  { name: 'arg-default-in-run', containerfile: 'FROM busybox\nARG V=3\nRUN echo $V > /v\n' },
  { name: 'arg-build-arg', containerfile: 'FROM busybox\nARG V=3\nRUN echo $V > /v\n', buildArgs: { V: '9' } },
  { name: 'arg-global-in-from', containerfile: 'ARG BASE=busybox\nFROM $BASE\nRUN echo ok > /ok\n' },
  { name: 'arg-global-redeclared', containerfile: 'ARG G=global\nFROM busybox\nARG G\nRUN echo $G > /g\nENV E=$G\n' },
  { name: 'arg-then-env-wins', containerfile: 'FROM busybox\nARG X=arg\nENV X=env\nRUN echo $X > /x\n' },
  { name: 'label-multi', containerfile: 'FROM busybox\nLABEL a=1 b="x y"\nLABEL "c d"=e\n' },
  { name: 'label-expansion', containerfile: 'FROM busybox\nARG L=v1\nLABEL version=$L\n' },
  { name: 'expose', containerfile: 'FROM busybox\nEXPOSE 80 53/udp 8080/tcp\n' },
  { name: 'user-numeric', containerfile: 'FROM busybox\nUSER 1000\n' },
  { name: 'user-then-run', containerfile: 'FROM busybox\nUSER tester\nRUN touch /tmp/by-tester\n' },
  { name: 'workdir-create', containerfile: 'FROM busybox\nWORKDIR /w/d\n' },
  { name: 'workdir-relative', containerfile: 'FROM busybox\nWORKDIR /a\nWORKDIR b\nRUN pwd > /pwd\n' },
  {
    name: 'volume', containerfile: 'FROM busybox\nVOLUME /data\nVOLUME ["/x", "/y"]\n',
    difference: 'buildah 1.28 creates the directories of the last VOLUME line only; trowel records volumes in the config and creates no directories, as BuildKit',
  },
  { name: 'stopsignal', containerfile: 'FROM busybox\nSTOPSIGNAL SIGTERM\n' },
  { name: 'healthcheck', containerfile: 'FROM busybox\nHEALTHCHECK --interval=5s --retries=2 CMD true\n' },
  { name: 'healthcheck-none', containerfile: 'FROM busybox\nHEALTHCHECK NONE\n' },
  { name: 'cmd-shell-form', containerfile: 'FROM busybox\nCMD echo hi\n' },
  { name: 'cmd-exec-form', containerfile: 'FROM busybox\nCMD ["sh", "-c", "echo hi"]\n' },
  { name: 'entrypoint-resets-inherited-cmd', containerfile: 'FROM busybox AS base\nCMD ["inherited"]\nFROM base\nENTRYPOINT ["/bin/sh"]\n' },
  { name: 'entrypoint-then-cmd', containerfile: 'FROM busybox\nENTRYPOINT ["/bin/echo"]\nCMD ["hi"]\n' },
  { name: 'entrypoint-shell-form', containerfile: 'FROM busybox\nENTRYPOINT exec echo hi\n' },
  {
    name: 'shell-instruction', containerfile: 'FROM busybox\nSHELL ["/bin/sh", "-ec"]\nRUN echo shell > /s\nCMD echo x\n',
    difference: 'trowel runs a shell-form CMD/ENTRYPOINT through SHELL as Docker documents; buildah 1.28 ignores SHELL there in the OCI format',
  },
  { name: 'onbuild-recorded', containerfile: 'FROM busybox\nONBUILD RUN echo hi\n' },
  { name: 'onbuild-triggered', containerfile: 'FROM busybox AS parent\nONBUILD RUN touch /triggered\nFROM parent\nRUN test -f /triggered\n', format: 'docker' },
  { name: 'maintainer', containerfile: 'FROM busybox\nMAINTAINER someone <s@example.com>\n' },
  { name: 'run-files', containerfile: 'FROM busybox\nRUN echo a > /a && mkdir -p /d/e && echo b > /d/e/f\n' },
  { name: 'run-exec-form', containerfile: 'FROM busybox\nRUN ["sh", "-c", "echo exec > /e"]\n' },
  { name: 'whiteout-file', containerfile: 'FROM busybox\nRUN rm /etc/group\n' },
  { name: 'whiteout-dir', containerfile: 'FROM busybox\nRUN rm -rf /home\n' },
  { name: 'whiteout-dir-then-recreate', containerfile: 'FROM busybox\nRUN rm -rf /home && mkdir /home && echo new > /home/n\n' },
  { name: 'dir-replaced-by-file', containerfile: 'FROM busybox\nRUN rm -rf /var && echo x > /var\n' },
  { name: 'run-modes-and-owners', containerfile: 'FROM busybox\nRUN touch /f && chmod 4755 /f && chown 1000:1001 /f && mkdir -m 1777 /sticky\n' },
  { name: 'run-links', containerfile: 'FROM busybox\nRUN echo x > /t && ln -s /t /s && ln /t /h\n' },
  { name: 'copy-dir-contents', containerfile: 'FROM busybox\nCOPY dir /dst/\n' },
  { name: 'copy-dir-no-slash', containerfile: 'FROM busybox\nCOPY dir /dst\n' },
  { name: 'copy-glob', containerfile: 'FROM busybox\nCOPY *.txt /g/\n' },
  { name: 'copy-several-to-dir', containerfile: 'FROM busybox\nCOPY a.txt b.txt /m/\n' },
  { name: 'copy-rename', containerfile: 'FROM busybox\nCOPY a.txt /renamed\n' },
  { name: 'copy-missing-parents', containerfile: 'FROM busybox\nCOPY a.txt /deep/new/dir/\n' },
  { name: 'copy-chown-chmod', containerfile: 'FROM busybox\nCOPY --chown=1000:1001 --chmod=640 a.txt /c\n' },
  { name: 'copy-chown-by-name', containerfile: 'FROM busybox\nCOPY --chown=tester dir /owned/\n' },
  { name: 'copy-workdir-relative', containerfile: 'FROM busybox\nWORKDIR /w\nCOPY a.txt .\nCOPY b.txt sub/\n' },
  { name: 'copy-env-in-dest', containerfile: 'FROM busybox\nENV D=/dest\nCOPY a.txt $D/\n' },
  { name: 'copy-executable-mode-kept', containerfile: 'FROM busybox\nCOPY run.sh /usr/local/bin/\n' },
  { name: 'copy-ignore-file', containerfile: 'FROM busybox\nCOPY . /ctx/\n', files: { '.dockerignore': '*.log\ndir/sub\n!dir/sub/keep.txt\n' } },
  { name: 'copy-from-stage', containerfile: 'FROM busybox AS build\nRUN mkdir /out && echo built > /out/artifact\nFROM busybox\nCOPY --from=build /out/artifact /app/\n' },
  { name: 'copy-from-index', containerfile: 'FROM busybox\nRUN echo zero > /z\nFROM busybox\nCOPY --from=0 /z /z\n' },
  { name: 'copy-from-stage-dir', containerfile: 'FROM busybox AS build\nRUN mkdir -p /out/a/b && echo 1 > /out/a/b/c && ln -s c /out/a/b/l\nFROM scratch\nCOPY --from=build /out /\n' },
  { name: 'add-local-file', containerfile: 'FROM busybox\nADD a.txt /added/\n' },
  { name: 'add-extracts-tar', containerfile: 'FROM busybox\nADD archive.tar /x/\n' },
  { name: 'add-extracts-tar-gz', containerfile: 'FROM busybox\nADD archive.tar.gz /y\n' },
  { name: 'run-mount-bind-history', containerfile: 'FROM busybox\nRUN --mount=type=bind,source=dir,target=/etc/ctx cat /etc/ctx/f1 /etc/ctx/nested/f2 > /copied\n' },
  {
    name: 'run-mount-cache-from-stage',
    containerfile: 'FROM busybox AS seed\nRUN mkdir -p /seed/data && echo seeded > /seed/data/f\nFROM busybox\nRUN --mount=type=cache,target=/c,from=seed,source=/seed/data sh -c "cat /c/f > /got; echo more >> /c/f"\nRUN --mount=type=cache,target=/c,from=seed,source=/seed/data cat /c/f > /again\n',
  },
  { name: 'run-mount-ssh-absent', containerfile: 'FROM busybox\nRUN --mount=type=ssh echo "${SSH_AUTH_SOCK:-none}" > /sock\n' },
  { name: 'multistage-target', containerfile: 'FROM busybox AS first\nRUN echo first > /f\nFROM busybox AS second\nRUN echo second > /s\n', target: 'first' },
  { name: 'stage-chain', containerfile: 'FROM busybox AS a\nRUN echo a > /a\nFROM a AS b\nRUN echo b > /b\nFROM b\nRUN cat /a /b > /ab\n' },
  { name: 'parallel-stages', containerfile: 'FROM busybox AS x\nRUN echo x > /x\nFROM busybox AS y\nRUN echo y > /y\nFROM busybox\nCOPY --from=x /x /\nCOPY --from=y /y /\n' },
];
