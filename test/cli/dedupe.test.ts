/** Message-IDs for `import --skip-existing`: found in a header section, unfolded, normalized. */
import { describe, expect, it } from 'vitest';
import { messageIdOf, normalizeMessageId } from '../../src/cli/dedupe.js';

describe('messageIdOf', () => {
  it('finds the field in any case, unfolds it and drops white space', () => {
    expect(messageIdOf('From: a@b\r\nMessage-ID: <x@y>\r\nSubject: s')).toBe('<x@y>');
    expect(messageIdOf('message-id:<x@y>')).toBe('<x@y>');
    expect(messageIdOf('Message-ID : <x@y>')).toBe('<x@y>');
    expect(messageIdOf('Subject: s\nMESSAGE-ID:\n  <long.id@\n example.org>\nTo: c')).toBe(
      '<long.id@example.org>',
    );
  });

  it('is null without the field or with an empty one; another field does not count', () => {
    expect(messageIdOf('From: a@b\r\nSubject: s')).toBeNull();
    expect(messageIdOf('Message-ID:   \r\nSubject: s')).toBeNull();
    expect(messageIdOf('X-Original-Message-ID: <x@y>')).toBeNull();
    expect(messageIdOf('Subject: about Message-ID: <x@y>')).toBeNull();
  });

  it('normalizes the ids of the mailbox the same way', () => {
    expect(normalizeMessageId(' <a@b> ')).toBe('<a@b>');
  });
});
