// Request/response over a child process IPC channel, plus unsolicited events.
// Parent side: `rpc(child)` returns { call(cmd, args, timeoutMs), on(ev, fn) }.
// Child side: `serve(handlers)` answers { id, cmd } messages.

export function rpc(child, label = 'child') {
  let nextId = 1;
  const pending = new Map();
  const listeners = new Map();
  let exited = null;
  child.on('message', (m) => {
    if (m && m.id !== undefined && pending.has(m.id)) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.r);
      else p.reject(new Error(`${label}: ${m.error}`));
    } else if (m && m.ev) {
      const fns = listeners.get(m.ev);
      if (fns) for (const fn of fns) fn(m);
    }
  });
  child.on('exit', (code, signal) => {
    exited = `${label} exited (code ${code}, signal ${signal})`;
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(exited));
    }
    pending.clear();
    const fns = listeners.get('exit');
    if (fns) for (const fn of fns) fn({ ev: 'exit', code, signal });
  });
  return {
    call(cmd, args = {}, timeoutMs = 30000) {
      if (exited) return Promise.reject(new Error(exited));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${label}: '${cmd}' timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send({ id, cmd, ...args });
      });
    },
    on(ev, fn) {
      if (!listeners.has(ev)) listeners.set(ev, new Set());
      listeners.get(ev).add(fn);
      return () => listeners.get(ev).delete(fn);
    },
  };
}

export function serve(handlers) {
  // A bench child never outlives the orchestrator.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m) => {
    if (!m || m.id === undefined) return;
    const h = handlers[m.cmd];
    try {
      if (!h) throw new Error(`unknown command ${m.cmd}`);
      const r = await h(m);
      process.send({ id: m.id, ok: true, r });
    } catch (err) {
      process.send({ id: m.id, ok: false, error: err && err.stack ? err.stack : String(err) });
    }
  });
}

export function emit(ev, data = {}) {
  if (process.connected) process.send({ ev, ...data });
}
