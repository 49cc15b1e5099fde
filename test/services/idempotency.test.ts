import { describe, expect, it } from 'vitest';
import { deterministicEventId, deterministicId } from '../../src/services/index.js';

describe('deterministic ids', () => {
  it('never change between releases: a retry after an upgrade must find the events of its first try', () => {
    // Pinned: these ids are in recorded logs. A new namespace or a new way to join the parts would make every
    // retried command append its events a second time.
    expect(deterministicEventId('key-1', 'run-1', 0)).toBe('d6f9d4f9-a550-5a6c-9221-3f16ad040513');
    expect(deterministicEventId('key-1', 'run-1', 1)).toBe('36c960ce-227f-5a36-a3c5-5ac80b8d82c8');
    expect(deterministicId('key-1', 'run')).toBe('fdc9929b-28d0-5887-b77a-360e3fa1a1d2');
  });

  it('differ by key, stream and index, and cannot be confused by moving text from one part to the next', () => {
    const ids = [
      deterministicEventId('k', 'stream', 0),
      deterministicEventId('k2', 'stream', 0),
      deterministicEventId('k', 'stream-2', 0),
      deterministicEventId('k', 'stream', 1),
      deterministicEventId('ks', 'tream', 0),
      deterministicEventId('k', 'stream1', 0),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect(deterministicEventId('k', 'stream', 0)).toBe(deterministicEventId('k', 'stream', 0));
    expect(deterministicId('k', 'run')).not.toBe(deterministicId('k', 'candidate'));
    expect(deterministicId('kr', 'un')).not.toBe(deterministicId('k', 'run'));
  });

  it('are version-5 UUIDs', () => {
    expect(deterministicEventId('k', 's', 0)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(deterministicId('k', 'run')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
