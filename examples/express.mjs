// The application server next to an Express app on one port. Express is
// only a development dependency of this package: `npm install express`
// in your own project.
import http from 'node:http';
import express from 'express';
import { WebSocketNodeServer } from 'ws-node-server';

const app = express();
app.get('/health', (req, res) => res.json({ ok: true, sessions: server.sessionCount }));

const httpServer = http.createServer(app);
const server = new WebSocketNodeServer(httpServer, { path: '/live' });

server.onAuthentication((credentials, startSession, respond) => {
  startSession({ name: String(credentials?.name ?? 'guest') }, [], null);
  respond(null, { ok: true });
});
server.onRequest('echo', (body) => body);

const port = Number(process.env.PORT ?? 8080);
await server.listen();
httpServer.listen(port, '127.0.0.1', () => {
  console.log(`listening on ws://127.0.0.1:${httpServer.address().port}/live (Express: GET /health)`);
});
