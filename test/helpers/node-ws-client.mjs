// Run with `node --experimental-websocket` (Node 20): drives Node's built-in
// WebSocket client against a server and prints one JSON line of what it saw.
// argv: url, mode ('echo' | 'server-close'), protocols (comma-separated, may be empty)
const [url, mode = 'echo', protocolList = ''] = process.argv.slice(2);
const result = { open: false, protocol: null, messages: [], close: null, errors: [] };

function finish() {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
// Bounded: report whatever happened after 8 s.
const deadline = setTimeout(() => { result.errors.push('deadline reached'); finish(); }, 8000);

if (typeof WebSocket !== 'function') {
  result.errors.push('global WebSocket is not available');
  clearTimeout(deadline);
  finish();
}

const protocols = protocolList ? protocolList.split(',') : [];
const ws = new WebSocket(url, protocols);
ws.binaryType = 'arraybuffer';
const big = new Uint8Array(200000).map((_, i) => (i * 7) & 0xff);
const expected = mode === 'echo' ? 3 : 1;

ws.addEventListener('open', () => {
  result.open = true;
  result.protocol = ws.protocol;
  if (mode === 'echo') {
    ws.send('hello from node \u00b5\u{1f600}');
    ws.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
    ws.send(big);
  } else {
    ws.send('please close');
  }
});

ws.addEventListener('message', (ev) => {
  if (typeof ev.data === 'string') result.messages.push({ type: 'text', data: ev.data });
  else {
    const bytes = Buffer.from(ev.data);
    result.messages.push({
      type: 'binary',
      length: bytes.length,
      data: bytes.length > 64 ? null : bytes.toString('hex'),
      matchesBig: bytes.equals(Buffer.from(big)),
    });
  }
  if (mode === 'echo' && result.messages.length === expected) ws.close(4000, 'done \u2713');
});

ws.addEventListener('error', (ev) => { result.errors.push(String(ev.message ?? ev.error?.message ?? 'error')); });

ws.addEventListener('close', (ev) => {
  result.close = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean };
  clearTimeout(deadline);
  finish();
});
