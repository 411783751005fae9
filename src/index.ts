/**
 * imapkit: a complete, fast and safe IMAP client.
 * @packageDocumentation
 */
export * from './model/index.js';
