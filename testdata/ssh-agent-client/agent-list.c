/*
 * agent-list: asks the SSH agent at $SSH_AUTH_SOCK for its identities
 * (SSH2_AGENTC_REQUEST_IDENTITIES, RFC draft-miller-ssh-agent section 4.4) and prints each as
 * an OpenSSH public key line: "<key type> <base64 blob> <comment>". Built static by the bud
 * ssh tests and run inside a RUN step, where no ssh-add is available.
 * Exit status: 0 listed (possibly nothing), 1 no agent or a protocol error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_full(int fd, unsigned char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static uint32_t be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put_base64(const unsigned char *p, uint32_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (uint32_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    putchar(tab[v >> 18 & 63]);
    putchar(tab[v >> 12 & 63]);
    putchar(i + 1 < n ? tab[v >> 6 & 63] : '=');
    putchar(i + 2 < n ? tab[v & 63] : '=');
  }
}

int main(void) {
  const char *path = getenv("SSH_AUTH_SOCK");
  if (!path || !*path) {
    fprintf(stderr, "agent-list: SSH_AUTH_SOCK is not set\n");
    return 1;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    perror("agent-list: connect");
    return 1;
  }
  const unsigned char request[] = {0, 0, 0, 1, 11};
  if (write(fd, request, sizeof(request)) != (ssize_t)sizeof(request)) return 1;
  unsigned char head[4];
  if (read_full(fd, head, 4) < 0) return 1;
  uint32_t len = be32(head);
  if (len < 5 || len > (1u << 24)) return 1;
  unsigned char *msg = malloc(len);
  if (!msg || read_full(fd, msg, len) < 0 || msg[0] != 12) {
    fprintf(stderr, "agent-list: unexpected answer\n");
    return 1;
  }
  uint32_t count = be32(msg + 1), at = 5;
  for (uint32_t k = 0; k < count; k++) {
    if (at + 4 > len) return 1;
    uint32_t blob_len = be32(msg + at);
    at += 4;
    if (blob_len < 4 || at + blob_len + 4 > len) return 1;
    const unsigned char *blob = msg + at;
    at += blob_len;
    uint32_t comment_len = be32(msg + at);
    at += 4;
    if (at + comment_len > len) return 1;
    uint32_t type_len = be32(blob);
    if (type_len > blob_len - 4) return 1;
    fwrite(blob + 4, 1, type_len, stdout);
    putchar(' ');
    put_base64(blob, blob_len);
    putchar(' ');
    fwrite(msg + at, 1, comment_len, stdout);
    putchar('\n');
    at += comment_len;
  }
  return 0;
}
