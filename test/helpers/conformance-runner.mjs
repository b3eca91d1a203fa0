// Runs one server conformance case: handshake over raw TCP, write the case's
// bytes, observe what the server sends, then judge it. The verdicts follow
// the fuzzing-client model: OK, NON-STRICT (allowed by RFC 6455 but not the
// preferred behaviour; reported, not failed) or FAILED (thrown).
//
// NON-STRICT is given only where the RFC leaves a choice:
// - the case's own alternatives (e.g. answering only the latest of several
//   pending pings, §5.5.3);
// - a close answered with another valid code than the one received
//   (§5.5.1: the endpoint "typically echos" the code);
// - a reset instead of a FIN after the server has *failed* the connection
//   (§7.1.7 leads to §7.1.1, where a clean TCP close is a SHOULD).
// Everything else that departs from the case is FAILED, in particular a
// server that resets TCP or never closes it after a close handshake the peer
// started cleanly (§5.5.1 requires the close answer and the TCP close, and
// §7.1.1 has the server close TCP first, cleanly), or one that sends a close
// of its own where the case gives it no reason to.
import { isUtf8 } from 'node:buffer';
import { OP, OP_NAMES, close as closeFrame, hex, parseClose } from './frames.mjs';
import { connectRaw } from './raw-client.mjs';

const VALID_OPS = new Set([OP.CONT, OP.TEXT, OP.BINARY, OP.CLOSE, OP.PING, OP.PONG]);

/** Turn the server's frames into events, noting anything a server must not send. */
export function framesToEvents(frames) {
  const events = [];
  const violations = [];
  let open = null; // { type, parts }
  let closed = false;
  for (const f of frames) {
    const name = OP_NAMES[f.opcode] ?? `opcode ${f.opcode}`;
    if (closed) {
      violations.push(`server sent a ${name} frame after its close frame`);
      continue;
    }
    // RFC 6455 §5.1: a server must not mask frames it sends.
    if (f.masked) violations.push(`server sent a masked ${name} frame`);
    // §5.2: RSV bits must be 0 without a negotiated extension.
    if (f.rsv) violations.push(`server sent a ${name} frame with RSV bits ${f.rsv.toString(2).padStart(3, '0')}`);
    if (!VALID_OPS.has(f.opcode)) {
      violations.push(`server sent reserved opcode ${f.opcode}`);
      continue;
    }
    if (f.opcode >= 8) {
      // §5.5: control frames have payload <= 125 and are not fragmented.
      if (!f.fin) violations.push(`server sent a fragmented ${name} frame`);
      if (f.payload.length > 125) violations.push(`server sent a ${name} frame of ${f.payload.length} bytes`);
      if (f.opcode === OP.CLOSE) {
        const { code, reason } = parseClose(f.payload);
        if (Number.isNaN(code)) violations.push('server sent a 1-byte close payload');
        if (!isUtf8(reason)) violations.push('server sent a close reason that is not UTF-8');
        events.push({ type: 'close', code, reason });
        closed = true;
      } else {
        events.push({ type: name, data: f.payload });
      }
      continue;
    }
    if (f.opcode === OP.CONT) {
      if (!open) {
        violations.push('server sent a continuation frame with no message open');
        continue;
      }
      open.parts.push(f.payload);
    } else {
      if (open) violations.push(`server started a ${name} message inside an open message`);
      open = { type: name, parts: [f.payload] };
    }
    if (f.fin) {
      const data = open.parts.length === 1 ? open.parts[0] : Buffer.concat(open.parts);
      if (open.type === 'text' && !isUtf8(data)) violations.push('server sent a text message that is not UTF-8');
      events.push({ type: open.type, data });
      open = null;
    }
  }
  return { events, violations };
}

export function describeEvent(e) {
  if (e.type === 'close') {
    const code = e.code === null ? 'no code' : e.code;
    return `close(${code}${e.reason?.length ? `, "${e.reason.toString('utf8').slice(0, 40)}"` : ''})`;
  }
  return `${e.type}[${e.data.length}](${hex(e.data, 16)})`;
}

function describeEvents(list) {
  return list.length ? list.map(describeEvent).join(', ') : '(nothing)';
}

function sameEvents(actual, expected) {
  if (actual.length !== expected.length) return false;
  return actual.every((e, i) => e.type === expected[i].type && Buffer.compare(e.data, expected[i].data) === 0);
}

function describeSteps(steps) {
  return steps.map((s) => {
    if (s.await !== undefined) return `  wait for ${s.await} event(s) from the server`;
    const list = Array.isArray(s.send) ? s.send : [s.send];
    const total = list.reduce((n, b) => n + b.length, 0);
    const mode = s.mode ?? 'whole';
    const how = mode === 'whole' ? 'in one write' : mode === 'frames' ? 'one write per frame'
      : mode === 'bytewise' ? 'one write per byte' : `in writes of ${mode} bytes`;
    const shown = list.slice(0, 4).map((b) => `[${hex(b, 24)}]`).join(' ');
    return `  send ${list.length} frame(s), ${total} bytes, ${how}: ${shown}${list.length > 4 ? ' ...' : ''}`;
  }).join('\n');
}

/**
 * How the TCP connection ended, as the client saw it: 'fin' (the server
 * closed it cleanly), 'reset' (RST, or closed with an error and no FIN) or
 * 'open'. Read before the client destroys its own socket.
 */
export function tcpEnding(conn) {
  if (conn.ended) return 'fin';
  if (conn.errors.length || conn.closed) return 'reset';
  return 'open';
}

/** Whether the case ends with a close handshake started cleanly by the peer (not a failed connection). */
function peerClosesCleanly(c) {
  return c.cleanClose ?? Boolean(c.clientCloses);
}

function closeCodesText(codes) {
  return codes.map((c) => (c === null ? 'no status code' : c)).join(' or ');
}

/**
 * @param {object} c the case
 * @param {{port:number, errors:Error[]}} server
 * @returns {Promise<{verdict:'OK'|'NON-STRICT', note:string, tcp:'fin'|'reset'|'open'}>} throws on FAILED
 */
export async function runCase(c, server) {
  const responseMs = c.responseMs ?? 2000;
  const tcpCloseMs = c.tcpCloseMs ?? 2000;
  const errorsBefore = server.errors.length;
  // `extensions`: a Sec-WebSocket-Extensions offer; `decode(frames, headers)`
  // then turns the server's frames into plain ones (permessage-deflate) and
  // returns { frames, problems }.
  const extraHeaders = c.extensions === undefined ? undefined : { 'Sec-WebSocket-Extensions': c.extensions };
  const conn = await connectRaw(server.port, { earlyData: c.earlyData, extraHeaders });
  const eventCount = () => conn.frames.filter((f) => f.fin || f.opcode >= 8).length;
  const closeSeen = () => conn.frames.some((f) => f.opcode === OP.CLOSE);
  const notes = [];
  let sentClose = false;
  let tcp = 'open';
  let closedFirst = false;
  try {
    for (const step of c.steps) {
      if (step.await !== undefined) {
        const ok = await conn.waitFor(() => eventCount() >= step.await || closeSeen() || conn.gone, responseMs);
        if (!ok) notes.push(`waited ${responseMs} ms for event #${step.await} in vain`);
      } else {
        if (step.sendsClose && closeSeen()) closedFirst = true;
        await conn.send(step.send, step.mode ?? 'whole');
        if (step.sendsClose) sentClose = true;
      }
    }
    if (c.clientCloses) {
      // Let the expected answers arrive first: a close frame that is here
      // before ours is then the server's own, not an answer.
      await conn.waitFor(() => eventCount() >= (c.expect?.length ?? 0) || closeSeen() || conn.gone, responseMs);
      if (closeSeen()) closedFirst = true;
      await conn.send(closeFrame(1000));
      sentClose = true;
    }
    await conn.waitFor(() => closeSeen() || conn.gone || conn.ended, responseMs);
    const serverClose = conn.frames.find((f) => f.opcode === OP.CLOSE);
    if (serverClose && !sentClose && !conn.gone) {
      // Behave like a proper client: answer the server's close (RFC 6455 §5.5.1).
      const { code } = parseClose(serverClose.payload);
      await conn.send(closeFrame(Number.isInteger(code) && code !== 1005 ? code : 1000));
    }
    await conn.waitFor(() => conn.ended || conn.gone, tcpCloseMs);
  } finally {
    tcp = tcpEnding(conn);
    conn.destroy();
  }

  const decoded = c.decode ? await c.decode(conn.frames, conn.handshakeHeaders) : { frames: conn.frames, problems: [] };
  const { events, violations } = framesToEvents(decoded.frames);
  const closeIdx = events.findIndex((e) => e.type === 'close');
  const before = closeIdx === -1 ? events : events.slice(0, closeIdx);
  const closeEvent = closeIdx === -1 ? null : events[closeIdx];
  const expectedClose = Array.isArray(c.close) ? c.close : [c.close];
  const problems = [...decoded.problems, ...violations];

  let verdict = 'OK';
  if (c.check) {
    const r = c.check(before);
    if (typeof r === 'string') problems.push(r);
    else if (r && r.nonStrict) { verdict = 'NON-STRICT'; notes.push(r.nonStrict); }
  } else if (!sameEvents(before, c.expect)) {
    const alt = (c.alternatives ?? []).find((a) => sameEvents(before, a.events));
    if (alt) { verdict = 'NON-STRICT'; notes.push(alt.note); }
    else problems.push(`expected ${describeEvents(c.expect)} before the close, got ${describeEvents(before)}`);
  }
  const nonStrict = (note) => { notes.push(note); if (verdict === 'OK') verdict = 'NON-STRICT'; };
  if (!closeEvent) {
    problems.push(`expected a close frame with ${closeCodesText(expectedClose)}, got none`);
  } else if (!expectedClose.includes(closeEvent.code)) {
    const alt = (c.closeAlternatives ?? []).find((a) => a.codes.includes(closeEvent.code));
    if (alt) nonStrict(alt.note);
    else problems.push(`expected close ${closeCodesText(expectedClose)}, got ${describeEvent(closeEvent)}`);
  }
  if (closedFirst && peerClosesCleanly(c)) {
    problems.push("server sent a close frame before the client's close, with nothing in the case to fail the connection for");
  }
  if (tcp === 'open') {
    problems.push(`server did not close the TCP connection within ${tcpCloseMs} ms after the close handshake`);
  } else if (tcp === 'reset') {
    const how = conn.errors[0]?.code ?? conn.errors[0]?.message ?? 'no FIN';
    if (peerClosesCleanly(c)) {
      problems.push(`server reset the TCP connection (${how}) instead of closing it after the close handshake (RFC 6455 §5.5.1, §7.1.1)`);
    } else {
      nonStrict(`server closed the failed connection with ${how}, not a FIN`);
    }
  }

  if (problems.length) {
    const serverErrors = server.errors.slice(errorsBefore).map((e) => e.message);
    const msg = [
      `${c.id} ${c.title}: FAILED`,
      ...problems.map((p) => `- ${p}`),
      'sent:',
      (c.earlyData ? `  in the handshake's write: [${hex(c.earlyData, 24)}]\n` : '') + describeSteps(c.steps) + (c.clientCloses ? '\n  then close(1000)' : ''),
      `received: ${describeEvents(events)}; TCP ${tcp === 'fin' ? 'FIN from server' : tcp === 'reset' ? 'reset' : 'still open'}`,
      ...(serverErrors.length ? [`server 'error' events: ${serverErrors.join(' | ')}`] : []),
      ...notes.map((n) => `note: ${n}`),
    ].join('\n');
    throw new Error(msg);
  }
  return { verdict, note: notes.join('; '), tcp };
}
