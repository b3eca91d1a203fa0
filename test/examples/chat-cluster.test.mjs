// The demo on several processes (examples/chat/cluster.mjs): two node:cluster
// workers share the port, and what people do on one reaches the people on
// the other: room lines once each, a private message, presence, and one
// sign-in per name across both.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../router/helpers.mjs';
import { until } from '../helpers/wait.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let demo;
after(() => demo?.exitCode === null && demo.kill('SIGKILL'));

test('the demo on two cluster workers: room chat, private messages and presence cross between them', async () => {
  demo = spawn(process.execPath, ['examples/chat/cluster.mjs'], { cwd: ROOT, env: { ...process.env, PORT: '0', WORKERS: '2' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  demo.stdout.on('data', (d) => (out += d));
  demo.stderr.on('data', (d) => (out += d));
  await until(() => (out.match(/open http:\/\/127\.0\.0\.1:\d+/g) ?? []).length === 2, 'both workers to listen', 15_000);
  const port = Number(/open http:\/\/127\.0\.0\.1:(\d+)/.exec(out)[1]);
  const url = `ws://127.0.0.1:${port}/ws`;

  const people = [];
  for (const name of ['Ana', 'Bo', 'Cy', 'Di']) {
    const c = await TestClient.connect(url);
    const answer = await c.auth({ name, groups: ['general'] });
    assert.equal(answer.type, 'reply', JSON.stringify(answer));
    c.self = answer.data.self;
    people.push(c);
  }
  // The workers took turns: both hold people.
  await until(() => /\[worker 1\] \w+ signed in/.test(out) && /\[worker 2\] \w+ signed in/.test(out), 'sign-ins on both workers');
  const [ana, bo, cy, di] = people;
  // A name is signed in once across every process.
  const again = await TestClient.connect(url);
  assert.equal((await again.auth({ name: 'Bo' })).error.message, '"Bo" is already signed in');
  again.ws.close();

  const say = (c, text) => c.ok('request', { name: 'chat/send', data: { group: 'general', text } });
  await say(ana, 'hello');
  await say(ana, 'last');
  for (const c of [bo, cy, di]) await c.next((m) => m.event === 'chat' && m.data.text === 'last', `last at ${c.self.alias}`);
  assert.deepEqual(people.map((c) => c.inbox.filter((m) => m.event === 'chat' && m.data.text === 'hello').length), [0, 1, 1, 1]);

  for (const c of [ana, bo, cy]) {
    assert.equal((await c.send('message', { to: { alias: 'Di' }, data: `from ${c.self.alias}` })).type, 'reply');
  }
  await until(() => di.inbox.filter((m) => m.type === 'message').length === 3, 'three private messages at Di');

  await bo.close();
  for (const c of [ana, cy, di]) await c.next((m) => m.type === 'presence' && m.client.alias === 'Bo' && !m.client.connected, `Bo gone at ${c.self.alias}`);

  demo.kill('SIGTERM');
  await once(demo, 'exit');
});
