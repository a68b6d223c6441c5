/**
 * hookd's TypeScript client: {@link Hookd} for the native API, typed errors, the generated model types,
 * and (also as `hookd/webhooks`) the verifiers of the callbacks hookd sends.
 */
export * from "./client.js";
export * from "./errors.js";
export type * from "./generated/openapi.js";
export * from "./webhooks.js";
