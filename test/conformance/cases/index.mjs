// All server conformance groups, in the order they run.
import framing from './framing.mjs';
import pings from './pings.mjs';
import { reservedBits, reservedOpcodes } from './reserved.mjs';
import fragmentation from './fragmentation.mjs';
import utf8 from './utf8.mjs';
import closeHandling from './close.mjs';
import limits, { maxPayloadServerOptions } from './limits.mjs';

export const groups = [framing, pings, reservedBits, reservedOpcodes, fragmentation, utf8, closeHandling, limits];

/** Echo servers the cases name with `server:`; 'default' when a case names none. */
export const serverOptions = { default: {}, limited: maxPayloadServerOptions };
