export * from './body-structure.js';
export * from './envelope.js';
export * from './errors.js';
export * from './response-code.js';
export * from './response.js';
export * from './secret.js';
export * from './sequence-set.js';
