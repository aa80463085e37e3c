import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Agent, redirectInterceptor, request } from './undici-lean.js';

const require = createRequire(import.meta.url);

async function withServer(fn: (base: string, seen: IncomingMessage[]) => Promise<void>): Promise<void> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/target?x=1' }).end();
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.method} ${req.url} ${body}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
  } finally {
    server.close();
  }
}

test('request sends method, path with query and body through the given agent', async () => {
  await withServer(async (base) => {
    const agent = new Agent();
    try {
      const res = await request(`${base}/v2/x?n=3`, { method: 'POST', body: 'hello', dispatcher: agent });
      assert.is(res.statusCode, 200);
      assert.is(await res.body.text(), 'POST /v2/x?n=3 hello');
      const put = await request(new URL(`${base}/p`), { body: 'b', dispatcher: agent });
      assert.is(await put.body.text(), 'PUT /p b', 'a body without a method is a PUT, as undici.request');
    } finally {
      await agent.close();
    }
  });
});

test('the redirect interceptor follows a redirect', async () => {
  await withServer(async (base, seen) => {
    const agent = new Agent();
    try {
      const res = await request(`${base}/moved`, { dispatcher: agent.compose(redirectInterceptor({ maxRedirections: 3 })) });
      assert.is(await res.body.text(), 'GET /target?x=1 ');
      assert.equal(seen.map((r) => r.url), ['/moved', '/target?x=1']);
    } finally {
      await agent.close();
    }
  });
});

test("the registry session does not load undici's index (every feature it has)", async () => {
  await import('./session.js');
  await import('../../builder/build/remote-source.js');
  const index = require.resolve('undici');
  assert.ok(require.resolve('undici/lib/dispatcher/agent.js') in require.cache, 'the agent was loaded');
  assert.not.ok(index in require.cache, `${index} was loaded`);
});

test.run();
