// The protocol building blocks, typed through `ws-node-server/protocol`.
import {
  Connection,
  FrameParser,
  Opcode,
  ProtocolError,
  encodeFrame,
  prepareFrame,
  computeAccept,
  validateUpgradeRequest,
  type ConnectionEvents,
  type FrameBytes,
  type ParserSink,
  type ReadyState,
} from 'ws-node-server/protocol';
import { WebSocketServer } from 'ws-node-server';

const messages: Buffer[] = [];
const sink: ParserSink = {
  onMessage: (data: Buffer) => void messages.push(data),
  onPing: () => {},
  onPong: () => {},
  onClose: (code: number, reason: Buffer) => void `${code} ${reason.toString()}`,
  onError: (error: ProtocolError) => void error.closeCode,
};
const parser = new FrameParser({ role: 'client' }, sink);
parser.push(encodeFrame(Opcode.Text, Buffer.from('hi')));

const toWire: Buffer[] = [];
const events: ConnectionEvents = {
  onMessage: () => {},
  onPing: () => {},
  onPong: () => {},
  onOutput: (bytes: Buffer) => void toWire.push(bytes),
  onShutdown: (failed: ProtocolError | null) => void failed,
};
const connection = new Connection({ role: 'server' }, events);
connection.open();
const bytes: FrameBytes | null = connection.send('hello', false);
if (bytes !== null) toWire.push(...(Buffer.isBuffer(bytes) ? [bytes] : bytes));
const closeFrame: Buffer | null = connection.close(1000, 'done');
const state: ReadyState = connection.readyState;
const clean: boolean = connection.wasClean;

const wss = new WebSocketServer({ noServer: true });
const frame: Buffer = prepareFrame('to everyone', false);
for (const ws of wss.clients) ws.sendPrepared(frame);

export const used = { state, clean, closeFrame, accept: computeAccept('dGhlIHNhbXBsZSBub25jZQ=='), check: validateUpgradeRequest };
