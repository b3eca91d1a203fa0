// The demo page. Everything goes through the browser build of the client
// (served at /client.js): no other code talks to the server.
import { WebSocketNodeClient } from '/client.js';

const $ = (id) => document.getElementById(id);
function node(tag, text, cls) {
  const n = document.createElement(tag);
  if (text !== undefined) n.textContent = text;
  if (cls) n.className = cls;
  return n;
}
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

let client = null;
let allRooms = ['general'];
let myRooms = [];
let current = 'general';
const people = new Map(); // id -> { id, alias, available }
const unread = new Map();

function log(text) {
  const li = node('li', `${new Date().toLocaleTimeString()} ${text}`);
  $('log').prepend(li);
  while ($('log').children.length > 100) $('log').lastChild.remove();
}

function setState(state, detail = '') {
  $('state').dataset.state = state;
  $('state').textContent = detail ? `${state} ${detail}` : state;
}

$('signin').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('signin-error').textContent = '';
  const name = $('name').value.trim();
  myRooms = [...document.querySelectorAll('input[name=group]:checked')].map((i) => i.value);
  if (client) client.close();
  // Credentials are a function: after a reconnection the client signs in
  // again with the rooms this page is in now.
  client = new WebSocketNodeClient(`ws://${location.host}/ws`, {
    credentials: () => ({ name, groups: myRooms }),
    reconnect: { initialDelay: 250, maxDelay: 5000 },
  });
  wire(client);
  try {
    const session = await client.authenticate();
    allRooms = session.groups;
    myRooms = client.self.groups;
    current = myRooms[0] ?? 'general';
    $('signin').hidden = true;
    $('app').hidden = false;
    $('me').textContent = session.name;
    renderRooms();
    await Promise.all([loadHistory(), loadPeople()]);
    $('text').focus();
  } catch (err) {
    $('signin-error').textContent = err.message;
    client.close();
    client = null;
  }
});

function wire(c) {
  c.onState((e) => {
    if (e.state === 'reconnecting') setState('reconnecting', `(attempt ${e.attempt}, in ${Math.round(e.delay)} ms)`);
    else setState(e.state);
    if (e.state === 'reconnecting') log(`connection lost (${e.code}); reconnecting`);
    if (e.state === 'authenticated' && e.reconnected) {
      myRooms = c.self.groups;
      renderRooms();
      // Recovered: the lines missed meanwhile follow as events. Otherwise
      // (a new session, or too long away) they are lost: reload the room.
      if (e.recovered) log('reconnected; nothing was missed');
      else {
        log('reconnected');
        loadHistory();
      }
      // Presence is never replayed: a fresh list after every reconnect.
      loadPeople();
    }
    if (e.state === 'closed' && e.error) log(`closed: ${e.error.message}`);
  });
  c.on('chat', (line) => {
    if (line.group === current) appendLine(line);
    else {
      unread.set(line.group, (unread.get(line.group) ?? 0) + 1);
      renderTabs();
    }
  });
  c.onMessage((data, from) => {
    appendPrivate(`${from.alias ?? from.id} → you`, data?.text ?? JSON.stringify(data));
    log(`private message from ${from.alias}`);
  });
  c.onPresence((who, change) => {
    if (who.connected && who.available && who.alias) people.set(who.id, who);
    else people.delete(who.id);
    renderPeople();
    const what = { connect: 'is online', disconnect: 'left', alias: 'changed name', availability: who.available ? 'is available' : 'is unavailable' }[change];
    log(`${who.alias ?? 'someone'} ${what ?? change}`);
  });
  c.onError((err) => log(`error: ${err.message}`));
}

async function loadPeople() {
  people.clear();
  for (const who of await client.clients()) people.set(who.id, who);
  renderPeople();
}

async function loadHistory() {
  $('lines').replaceChildren();
  unread.delete(current);
  renderTabs();
  if (!myRooms.includes(current)) return;
  for (const line of await client.request('chat/history', { group: current })) appendLine(line);
}

function appendLine(line) {
  const li = node('li');
  li.append(node('span', time(line.at), 'time'), node('span', line.from, 'from'), node('span', line.text));
  $('lines').append(li);
  $('lines').scrollTop = $('lines').scrollHeight;
}

function appendPrivate(who, text) {
  const li = node('li');
  li.append(node('span', who, 'from'), node('span', text));
  $('private').append(li);
}

function renderPeople() {
  const list = [...people.values()].sort((a, b) => a.alias.localeCompare(b.alias));
  $('people').replaceChildren(
    ...list.map((who) => {
      const li = node('li');
      const b = node('button', who.alias);
      b.title = `online since ${time(who.publicData?.since ?? new Date().toISOString())}`;
      b.addEventListener('click', () => {
        $('dm-to').value = who.id;
        $('dm-text').focus();
      });
      li.append(b);
      return li;
    }),
  );
  const selected = $('dm-to').value;
  $('dm-to').replaceChildren(...list.map((who) => Object.assign(node('option', who.alias), { value: who.id })));
  if (people.has(selected)) $('dm-to').value = selected;
}

function renderRooms() {
  $('rooms').replaceChildren(
    ...allRooms.map((room) => {
      const li = node('li');
      const member = myRooms.includes(room);
      const b = node('button', member ? 'leave' : 'join');
      b.addEventListener('click', async () => {
        try {
          myRooms = member ? await client.leave(room) : await client.join(room);
          if (!member) current = room;
          else if (current === room) current = myRooms[0] ?? room;
          renderRooms();
          await loadHistory();
        } catch (err) {
          $('chat-error').textContent = err.message;
        }
      });
      li.append(node('span', `#${room}`), b);
      return li;
    }),
  );
  renderTabs();
}

function renderTabs() {
  $('tabs').replaceChildren(
    ...myRooms.map((room) => {
      const n = unread.get(room);
      const b = node('button', n ? `#${room} (${n})` : `#${room}`);
      b.setAttribute('aria-current', String(room === current));
      b.addEventListener('click', () => {
        current = room;
        loadHistory();
      });
      return b;
    }),
  );
  $('text').placeholder = myRooms.includes(current) ? `Say something in #${current}` : 'Join a room first';
}

$('say').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('chat-error').textContent = '';
  const text = $('text').value.trim();
  if (!text) return;
  try {
    appendLine(await client.request('chat/send', { group: current, text }));
    $('text').value = '';
  } catch (err) {
    $('chat-error').textContent = err.message;
  }
});

$('dm').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('dm-error').textContent = '';
  const to = $('dm-to').value;
  const text = $('dm-text').value.trim();
  if (!to || !text) return;
  try {
    await client.sendMessage({ id: to }, { text });
    appendPrivate(`you → ${people.get(to)?.alias ?? to}`, text);
    $('dm-text').value = '';
  } catch (err) {
    $('dm-error').textContent = err.message;
  }
});

$('available').addEventListener('change', async (event) => {
  try {
    const { available } = await client.setAvailable(event.target.checked);
    log(available ? 'you are available' : 'you are unavailable: no private messages, no presence updates');
    // Presence is only sent to available clients: catch up on return.
    if (available) await loadPeople();
    else {
      people.clear();
      renderPeople();
    }
  } catch (err) {
    $('dm-error').textContent = err.message;
    event.target.checked = !event.target.checked;
  }
});
