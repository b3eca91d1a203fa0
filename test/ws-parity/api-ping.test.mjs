// ping(), pong(), autoPong and pause()/resume() as a program sees them,
// side by side with ws 8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parity, pair, listen, next, closed, settle, until } from './api-pair.mjs';

test('ping() data types: a number, a string, a Buffer, nothing; the peer gets ping (data) and we get pong (data)', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const pings = [];
    const pongs = [];
    p.server.on('ping', (d) => pings.push([Buffer.isBuffer(d), d.toString()]));
    p.client.on('pong', (d) => pongs.push([Buffer.isBuffer(d), d.toString()]));
    for (const v of [42, 'str', Buffer.from('buf'), undefined, new Uint8Array([65, 66])]) p.client.ping(v);
    await until(() => pings.length === 5 && pongs.length === 5, 'five pings and pongs');
    await p.done();
    return { pings, pongs };
  });
});

test('pong() sends an unsolicited pong; the peer gets pong (data)', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const pongs = [];
    p.client.on('pong', (d) => pongs.push(d.toString()));
    p.server.pong('p1');
    p.server.pong(7);
    p.server.pong();
    await until(() => pongs.length === 3, 'three pongs');
    await p.done();
    return pongs;
  }, ['p1', '7', '']);
});

test('ping()/pong() callbacks run once the frame is written, with the mask argument or without', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const calls = [];
    p.client.ping('a', true, (err) => calls.push(['ping a', err ?? null]));
    p.client.ping('b', undefined, (err) => calls.push(['ping b', err ?? null]));
    p.client.pong('c', (err) => calls.push(['pong c', err ?? null]));
    p.client.ping((err) => calls.push(['ping fn', err ?? null]));
    await until(() => calls.length === 4, 'four callbacks');
    await p.done();
    return calls;
  });
});

test('ping()/pong() after close() and after close: no throw, the callback gets an error', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const calls = [];
    p.client.close();
    p.client.ping('x', undefined, (err) => calls.push(['ping closing', err?.message]));
    p.client.pong('x', undefined, (err) => calls.push(['pong closing', err?.message]));
    p.client.ping();
    await closed(p.client);
    p.client.ping('y', undefined, (err) => calls.push(['ping closed', err?.message]));
    p.client.pong(undefined, undefined, (err) => calls.push(['pong closed', err?.message]));
    await settle(20);
    await p.done();
    return calls;
  });
});

test('ping() while CONNECTING throws', async () => {
  await parity(async (impl) => {
    const wss = await listen(impl);
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    const thrown = [];
    for (const f of [() => ws.ping(), () => ws.pong(), () => ws.send('x')]) {
      try { f(); } catch (err) { thrown.push([err.constructor.name, err.message]); }
    }
    await next(ws, 'open');
    ws.terminate();
    wss.close();
    return thrown;
  });
});

test('autoPong: false: no automatic pong, ping is still emitted', async () => {
  await parity(async (impl) => {
    const p = await pair(impl, { autoPong: false });
    const got = [];
    p.server.on('ping', (d) => got.push(['server ping', d.toString()]));
    p.client.on('pong', (d) => got.push(['client pong', d.toString()]));
    p.client.on('message', (d) => got.push(['client message', d.toString()]));
    p.server.on('ping', () => p.server.send('after the ping'));
    p.client.ping('hi');
    // A pong would have been sent before the message the server sends once it saw the ping.
    await next(p.client, 'message');
    await p.done();
    return got;
  }, [['server ping', 'hi'], ['client message', 'after the ping']]);
});

test('autoPong: false on a client', async () => {
  await parity(async (impl) => {
    const p = await pair(impl, {}, { autoPong: false });
    const got = [];
    p.client.on('ping', (d) => got.push(['client ping', d.toString()]));
    p.server.on('pong', (d) => got.push(['server pong', d.toString()]));
    p.server.on('message', (d) => got.push(['server message', d.toString()]));
    p.client.on('ping', () => p.client.send('after the ping'));
    p.server.ping('hi');
    await next(p.server, 'message');
    await p.done();
    return got;
  }, [['client ping', 'hi'], ['server message', 'after the ping']]);
});

test('pause(): messages are held while paused and delivered on resume; isPaused says so', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    p.client.on('message', (d) => log.push(d.toString()));
    p.client.pause();
    log.push(`paused ${p.client.isPaused}`);
    p.server.send('one');
    p.server.send('two');
    await settle(100);
    log.push('resume');
    p.client.resume();
    log.push(`paused ${p.client.isPaused}`);
    await until(() => log.length === 5, 'the held messages');
    await p.done();
    return log;
  }, ['paused true', 'resume', 'paused false', 'one', 'two']);
});

test('pause() and resume() before open and after close do nothing; while CLOSING they work', async () => {
  await parity(async (impl) => {
    const wss = await listen(impl);
    const ws = new impl.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
    const seen = [];
    ws.pause();
    seen.push(['connecting', ws.isPaused]);
    await next(ws, 'open');
    seen.push(['open', ws.isPaused]);
    ws.close();
    ws.pause();
    seen.push(['closing pause', ws.isPaused]);
    ws.resume();
    seen.push(['closing resume', ws.isPaused]);
    await closed(ws);
    ws.pause();
    seen.push(['closed', ws.isPaused]);
    wss.close();
    return seen;
  });
});

test('paused when the close comes: close follows once resumed', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const log = [];
    p.client.on('message', (d) => log.push(d.toString()));
    p.client.on('close', (code) => log.push(`close ${code}`));
    p.client.pause();
    p.server.send('m');
    p.server.close(4000);
    await settle(100);
    log.push(`state ${p.client.readyState}`);
    const done = closed(p.client);
    p.client.resume();
    await done;
    await p.done();
    return log;
  }, ['state 1', 'm', 'close 4000']);
});

test('ping over 125 bytes throws a RangeError', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const thrown = [];
    for (const f of [() => p.client.ping(Buffer.alloc(126)), () => p.client.pong('x'.repeat(126))]) {
      try { f(); } catch (err) { thrown.push([err.constructor.name, err.message]); }
    }
    p.client.ping(Buffer.alloc(125));
    await p.done();
    return thrown;
  });
});
