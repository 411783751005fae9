/**
 * The Python-imaplib-compatible facade.
 * @packageDocumentation
 */
export {};
