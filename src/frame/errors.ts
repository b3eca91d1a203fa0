// A protocol violation detected while parsing: carries the close code the
// connection must be failed with (RFC 6455 §7.1.7) and a stable string code.
// The codes and messages are the ones the ws package uses, and the class is
// a RangeError as ws's are, so error handling written for it keeps working.

export type ProtocolErrorCode =
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_UNEXPECTED_RSV_1'
  | 'WS_ERR_UNEXPECTED_RSV_2_3'
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_MASK'
  | 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'
  | 'WS_ERR_EXPECTED_FIN'
  | 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
  | 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  /** permessage-deflate data zlib cannot inflate (the code ws reports, from zlib). */
  | 'Z_DATA_ERROR';

export class ProtocolError extends RangeError {
  readonly code: ProtocolErrorCode;
  /** The close code to send when failing the connection (1002, 1007, 1009). */
  readonly closeCode: number;

  constructor(message: string, code: ProtocolErrorCode, closeCode: number) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.closeCode = closeCode;
  }
}
