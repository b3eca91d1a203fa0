// An echo server over TLS (wss://). Give it a key and certificate:
//   openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
//     -subj /CN=localhost -days 30 -addext subjectAltName=IP:127.0.0.1,DNS:localhost
//   TLS_KEY=key.pem TLS_CERT=cert.pem node examples/https-echo.mjs
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws-node-server';

const server = https.createServer({
  key: readFileSync(process.env.TLS_KEY ?? 'key.pem'),
  cert: readFileSync(process.env.TLS_CERT ?? 'cert.pem'),
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));

const port = Number(process.env.PORT ?? 8443);
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on wss://127.0.0.1:${server.address().port}`);
});
