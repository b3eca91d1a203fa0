// A Node script using the client against examples/attach-http.mjs:
//   node examples/attach-http.mjs &   node examples/node-client.mjs
import { WebSocketNodeClient } from 'ws-node-server/client';

const url = process.argv[2] ?? `ws://127.0.0.1:${process.env.PORT ?? 8080}`;
const client = new WebSocketNodeClient(url, { credentials: { token: 'demo-token', name: 'script' } });

client.onState((e) => console.log('state:', e.state));
const session = await client.authenticate();
console.log('signed in as', session.name);
console.log('1 + 2 + 3 =', await client.request('add', [1, 2, 3]));
try {
  await client.request('add', 'not numbers');
} catch (err) {
  console.log('error answer:', err.code);
}
console.log('others online:', (await client.clients()).map((c) => c.alias));
await client.close();
