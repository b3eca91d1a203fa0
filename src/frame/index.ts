// The frame layer: bytes <-> frames. Knows nothing about sockets or HTTP.
export { Opcode, CloseCode, WS_GUID, MAX_CONTROL_PAYLOAD } from './constants.js';
export { isValidCloseCode } from './close-codes.js';
export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export { applyMask, writeMaskKey, MaskKeys } from './mask.js';
export { Utf8Validator, isUtf8 } from './utf8.js';
export { FrameParser, type ParserSink, type ParserOptions, type Role, type MessageDecompressor } from './parser.js';
export { MessageDeflater, MessageInflater, SlidingWindow, deflateMessage, type DeflaterOptions, type InflaterOptions } from './deflate.js';
export { encodeFrame, encodeWith, encodeHeader, FrameCache, encodeClosePayload, headerSize, prepareFrame, toBuffer, type EncodeOptions } from './encoder.js';
