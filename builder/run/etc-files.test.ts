import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcFileMounts, hostsFile, parseDnsSettings, resolvConf } from './etc-files.js';

const dir = mkdtempSync(join(tmpdir(), 'trowel-etc-'));
const img = join(dir, 'img');
mkdirSync(join(img, 'etc'), { recursive: true });
writeFileSync(join(img, 'etc/hosts'), '127.0.0.1 localhost\n10.9.9.9 baked-in');

test('hosts keeps the image entries and adds the container name', () => {
  const h = hostsFile({ hostname: 'abc123def456', network: 'host', layers: [img], addHosts: ['db:10.0.0.5'] });
  assert.is(h, '127.0.0.1 localhost\n10.9.9.9 baked-in\n10.0.0.5\tdb\n127.0.1.1\tabc123def456\n');
  const p = hostsFile({ hostname: 'c', network: 'private', layers: [join(dir, 'empty')] });
  assert.match(p, /^127\.0\.0\.1\tlocalhost/);
  assert.match(p, /10\.0\.2\.2\thost\.containers\.internal\n10\.0\.2\.100\tc\n$/);
});

test('resolv.conf: loopback servers replaced on a private network only', () => {
  const host = 'search example.org\nnameserver 127.0.0.53\n';
  assert.is(resolvConf({ hostname: 'c', network: 'host', layers: [], hostResolvConf: host }), host);
  assert.is(resolvConf({ hostname: 'c', network: 'private', layers: [], hostResolvConf: host }), 'nameserver 10.0.2.3\nsearch example.org\n');
  assert.is(resolvConf({ hostname: 'c', network: 'private', layers: [], hostResolvConf: 'nameserver 9.9.9.9\n' }), 'nameserver 9.9.9.9\n');
});

test('resolv.conf with --dns, --dns-search and --dns-option: each given list replaces the host\'s lines', () => {
  const host = 'search example.org\nnameserver 127.0.0.53\noptions edns0\n';
  const base = { hostname: 'c', network: 'host' as const, layers: [], hostResolvConf: host };
  const dns = parseDnsSettings({ servers: ['192.0.2.1,2001:db8::1'], search: ['corp.test'], options: ['ndots:2', 'timeout:1'] })!;
  assert.is(resolvConf({ ...base, dns }), 'nameserver 192.0.2.1\nnameserver 2001:db8::1\nsearch corp.test\noptions ndots:2 timeout:1\n');
  assert.is(resolvConf({ ...base, dns: parseDnsSettings({ search: ['.'] })! }), 'nameserver 127.0.0.53\noptions edns0\n');
  assert.is(resolvConf({ ...base, network: 'private', dns: parseDnsSettings({ options: ['ndots:1'] })! }), 'nameserver 10.0.2.3\noptions ndots:1\nsearch example.org\n');
  assert.is(resolvConf({ ...base, dns: parseDnsSettings({ servers: ['none'] })! }), undefined, 'none: the image keeps its own');
  assert.is(parseDnsSettings({}), undefined);
  assert.throws(() => parseDnsSettings({ servers: ['dns.example'] }), /parse --dns "dns\.example": not an IP address/);
  assert.throws(() => parseDnsSettings({ servers: ['none', '192.0.2.1'] }), /none cannot be given with name servers/);
  assert.throws(() => parseDnsSettings({ search: ['bad domain'] }), /parse --dns-search "bad domain": not a domain name/);
});

test('files are written to the run dir and mounted as files, skipping user mounts', () => {
  const run = join(dir, 'run');
  mkdirSync(run);
  const m = etcFileMounts(run, { hostname: 'h1', network: 'none', layers: [img], hostResolvConf: 'nameserver 1.1.1.1\n' }, new Set(['/etc/resolv.conf']));
  assert.equal(m.map((x) => x.target), ['/etc/hosts', '/etc/hostname']);
  assert.ok(m.every((x) => x.file && x.type === 'bind'));
  assert.is(readFileSync(join(run, 'hostname'), 'utf8'), 'h1\n');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
