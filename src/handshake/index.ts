// The HTTP/1.1 upgrade, both sides.
export { computeAccept, generateKey, isValidKey } from './accept.js';
export { validateUpgradeRequest, buildAcceptHeaders, buildRefusal, reasonPhrase, type UpgradeCheck, type Refusal } from './server.js';
export { buildClientRequest, verifyServerResponse, type ClientRequestPlan, type ResponseCheck } from './client.js';
export { splitTokens, hasToken, isToken } from './tokens.js';
export { parseExtensions, formatExtension, type ExtensionElement, type ExtensionParam } from './extensions.js';
export { deflateSettings, acceptOffers, deflateOffer, acceptResponse, EXTENSION_NAME, type PerMessageDeflateOptions, type DeflateSettings, type DeflateParams } from './permessage-deflate.js';
