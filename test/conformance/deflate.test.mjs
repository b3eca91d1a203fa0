// Server conformance of permessage-deflate (RFC 7692): the cases of
// ./cases/deflate.mjs (groups 12 and 13 of the fuzzing-client model) over
// raw TCP against echo servers of this package and of the `ws` package,
// like server.test.mjs. CONFORMANCE_TARGET=ours or =ws runs only that one.
// Ours must get OK on every case; `ws` may get NON-STRICT only for closing a
// failed connection with a reset (RFC 6455 §7.1.7), as in server.test.mjs.
import assert from 'node:assert/strict';
import { serverSuites } from './server-suite.mjs';
import groups, { deflateServerOptions } from './cases/deflate.mjs';

serverSuites('permessage-deflate conformance', deflateServerOptions, groups, (result) => {
  if (result.verdict !== 'OK') assert.match(result.note, /not a FIN/, result.note);
});
