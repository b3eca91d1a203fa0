// Server conformance: the cases in ./cases, modelled on the fuzzing-client
// case groups 1-7 and 9, run over raw TCP against an echo server built from
// the public API - of this package and of the `ws` package, so that a case
// too strict for a correct implementation shows up here.
// CONFORMANCE_TARGET=ours or =ws runs only that one.
//
// A FAILED verdict throws out of runCase. Our server must get OK on every
// case (it always takes the preferred behaviour); `ws` may get NON-STRICT
// where the RFC leaves the choice, reported as a diagnostic.
import { serverSuites } from './server-suite.mjs';
import { groups, serverOptions } from './cases/index.mjs';

// NON-STRICT is allowed for `ws` where the RFC leaves the choice (reported as a diagnostic).
serverSuites('server conformance', serverOptions, groups, () => {});
