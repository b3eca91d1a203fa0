// send() options and callbacks as a program sees them, side by side with
// ws 8: binary for a string, fin: false fragments, compress, the order of
// callbacks, and callbacks of sends the connection could not finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parity, pair, closed, settle, dataKind, until } from './api-pair.mjs';

test('binary: true sends a string as binary, binary: false sends bytes as text', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const got = [];
    p.server.on('message', (d, isBinary) => got.push([...dataKind(d), isBinary]));
    p.client.send('str', { binary: true });
    p.client.send(Buffer.from('buf'), { binary: false });
    p.client.send('plain', {});
    p.client.send('compressed', { compress: true });
    p.client.send(Buffer.from('b2'), { compress: false });
    await until(() => got.length === 5, 'five messages');
    await p.done();
    return got;
  }, [['Buffer', 'str', true], ['Buffer', 'buf', false], ['Buffer', 'plain', false], ['Buffer', 'compressed', false], ['Buffer', 'b2', true]]);
});

test('fin: false: the fragments arrive as one message of the first fragment\'s type, in either direction', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const got = [];
    p.server.on('message', (d, isBinary) => got.push(['server', d.toString(), isBinary]));
    p.client.on('message', (d, isBinary) => got.push(['client', d.toString(), isBinary]));
    p.client.send('a', { fin: false });
    p.client.send('b', { fin: false });
    p.client.send('c');
    p.client.send(Buffer.from('x'), { fin: false });
    p.client.send('y', { fin: true });
    p.server.send('s1', { fin: false });
    p.server.send(Buffer.from('s2'), { fin: true });
    await until(() => got.length === 3, 'three messages');
    await p.done();
    return got.sort((a, b) => a[0].localeCompare(b[0]));
  }, [['client', 's1s2', false], ['server', 'abc', false], ['server', 'xy', true]]);
});

test('callbacks run in send order, with no error, once the data is written', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const order = [];
    p.client.send('1', (err) => order.push(['1', err ?? null]));
    p.client.send('2', {}, (err) => order.push(['2', err ?? null]));
    p.client.ping('p', undefined, (err) => order.push(['ping', err ?? null]));
    p.client.send(Buffer.alloc(256 * 1024), { binary: true }, (err) => order.push(['big', err ?? null]));
    p.client.send('3', { fin: true }, (err) => order.push(['3', err ?? null]));
    await until(() => order.length === 5, 'five callbacks');
    await p.done();
    return order;
  }, [['1', null], ['2', null], ['ping', null], ['big', null], ['3', null]]);
});

test('send() after close() and after close: the callback gets an error, nothing throws', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const errs = [];
    p.client.close();
    p.client.send('late', (err) => errs.push(['closing', err?.constructor.name, err?.message]));
    await closed(p.client);
    p.client.send('later', (err) => errs.push(['closed', err?.constructor.name, err?.message]));
    p.client.send('no callback');
    await settle(20);
    await p.done();
    return errs;
  });
});

test('the peer goes away in the middle of a big send: every callback runs before close, those not written with the socket\'s error', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    p.server.pause(); // the server stops reading, so the client's sends queue up
    const log = [];
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 16; i++) p.client.send(chunk, (err) => log.push(err ? `error ${err.code} (readyState ${p.client.readyState})` : 'ok'));
    p.client.on('close', (code) => log.push(`close ${code}`));
    await settle(50);
    const backedUp = p.client.bufferedAmount > 0;
    const code = closed(p.client);
    p.server.terminate();
    await code;
    await settle(20);
    await p.done();
    const firstError = log.findIndex((e) => e.startsWith('error'));
    return {
      backedUp,
      count: log.length,
      okThenErrors: log.slice(0, firstError).every((e) => e === 'ok'),
      errors: [...new Set(log.slice(firstError, -1))],
      last: log.at(-1),
    };
  }, { backedUp: true, count: 17, okThenErrors: true, errors: ['error ECONNRESET (readyState 2)'], last: 'close 1006' });
});

test('send() inside the close listener and after terminate(): the callback gets an error', async () => {
  await parity(async (impl) => {
    const p = await pair(impl);
    const errs = [];
    p.client.terminate();
    p.client.send('x', (err) => errs.push(['terminated', err?.message]));
    p.client.on('close', () => p.client.send('y', (err) => errs.push(['in close', err?.message])));
    await closed(p.client);
    await settle(20);
    await p.done();
    return errs;
  });
});
