// `ws-node-server/protocol`: the RFC 6455 building blocks under the
// WebSocket class, for tools, tests and custom transports (docs/api.md,
// docs/websocket.md#the-layers-underneath). Everything here is sans-I/O:
// bytes in, bytes or callbacks out.

// Frames (RFC 6455 section 5).
export { FrameParser, type ParserSink, type ParserOptions, type Role } from './frame/parser.js';
export { encodeFrame, encodeClosePayload, prepareFrame, type EncodeOptions } from './frame/encoder.js';
export { applyMask } from './frame/mask.js';
export { Utf8Validator, isUtf8 } from './frame/utf8.js';
export { Opcode, CloseCode, WS_GUID, MAX_CONTROL_PAYLOAD } from './frame/constants.js';
export { isValidCloseCode } from './frame/close-codes.js';
export { ProtocolError, type ProtocolErrorCode } from './frame/errors.js';

// The opening handshake (RFC 6455 section 4).
export { computeAccept, generateKey, isValidKey } from './handshake/accept.js';
export { validateUpgradeRequest, buildAcceptHeaders, buildRefusal, type UpgradeCheck, type Refusal } from './handshake/server.js';
export { buildClientRequest, verifyServerResponse, type ClientRequestPlan, type ResponseCheck } from './handshake/client.js';

// One connection's state machine (RFC 6455 sections 5.5 and 7).
export { Connection, CONNECTING, OPEN, CLOSING, CLOSED, type ConnectionEvents, type ConnectionOptions, type ReadyState, type FrameKind, type FrameBytes } from './session/connection.js';
