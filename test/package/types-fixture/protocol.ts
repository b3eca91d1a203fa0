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
  type ConnectionSink,
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

const connectionSink: ConnectionSink = {
  write: (bytes: Buffer) => void bytes.length,
  deliverMessage: () => {},
  deliverPing: () => {},
  deliverPong: () => {},
  shutdown: (failed: ProtocolError | null) => void failed,
};
const connection = new Connection({ role: 'server' }, connectionSink);
const state: ReadyState = connection.readyState;

const wss = new WebSocketServer({ noServer: true });
const frame: Buffer = prepareFrame('to everyone', false);
for (const ws of wss.clients) ws.sendPrepared(frame);

export const used = { state, accept: computeAccept('dGhlIHNhbXBsZSBub25jZQ=='), check: validateUpgradeRequest };
