import { describe, expect, it } from 'vitest';
import {
  parsePiiPolicy,
  PiiPolicyError,
  pseudonymFor,
  redactText,
  resolvePiiPolicy,
  type PiiCounts,
} from '../../../src/data/pii/index.js';

const KEY = 'a-test-key-of-32-characters-long';
const text = 'Call 138 1234 5678 or mail Li.Na@Example.com, passport E12345678.';

describe('PII policy per kind', () => {
  it('redacts, keeps or pseudonymises each kind as the policy says, and counts every span found', () => {
    const counts: PiiCounts = {};
    const out = redactText(text, counts, {
      policy: parsePiiPolicy('phone=pseudonymise,email=keep'),
      key: KEY,
    });
    expect(out).toMatch(/^Call \[PHONE:[0-9a-f]{8}\] or mail Li\.Na@Example\.com, passport \[PASSPORT\]\.$/);
    expect(counts).toEqual({ phone: 1, email: 1, passport: 1 });
  });

  it('gives one pseudonym to one identifier however it is written, and another under another key', () => {
    const policy = parsePiiPolicy('*=pseudonymise');
    const a = redactText('138 1234 5678', undefined, { policy, key: KEY });
    const b = redactText('+86-13812345678', undefined, { policy, key: KEY });
    const c = redactText('138.1234.5678', undefined, { policy, key: KEY });
    expect(a).toBe(b);
    expect(a).toBe(c);
    expect(redactText('138 1234 5679', undefined, { policy, key: KEY })).not.toBe(a);
    expect(redactText('138 1234 5678', undefined, { policy, key: `${KEY}-other` })).not.toBe(a);
    expect(pseudonymFor('email', 'Li.Na@Example.com', KEY)).toBe(
      pseudonymFor('email', 'li.na@example.com', KEY),
    );
    expect(pseudonymFor('ipv4', '10.0.0.1', KEY)).toMatch(/^\[IP_ADDRESS:[0-9a-f]{8}\]$/);
  });

  it('redacts by default: no options, or kinds the policy leaves out', () => {
    expect(redactText(text)).toBe('Call [PHONE] or mail [EMAIL], passport [PASSPORT].');
    expect(redactText(text, undefined, { policy: { email: 'keep' } })).toBe(
      'Call [PHONE] or mail Li.Na@Example.com, passport [PASSPORT].',
    );
    expect(resolvePiiPolicy({ email: 'keep' })).toMatchObject({
      email: 'keep',
      phone: 'redact',
      iban: 'redact',
    });
  });

  it('refuses pseudonyms without a key of 16 characters, with a stable code', () => {
    const policy = parsePiiPolicy('phone=pseudonymise');
    for (const key of [undefined, 'short']) {
      expect(() => redactText(text, undefined, { policy, ...(key ? { key } : {}) })).toThrowError(
        expect.objectContaining({ code: 'PII_KEY_MISSING', name: 'PiiPolicyError' }),
      );
    }
  });

  it.each([
    ['phone=hide', /action "hide"/],
    ['telephone=keep', /kind "telephone"/],
    ['phone', /not kind=action/],
  ])('rejects the policy "%s" with PII_POLICY_INVALID', (input, message) => {
    try {
      parsePiiPolicy(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PiiPolicyError);
      expect((error as PiiPolicyError).code).toBe('PII_POLICY_INVALID');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('sets the kinds not named with *', () => {
    expect(parsePiiPolicy({ '*': 'keep', email: 'redact' })).toMatchObject({
      email: 'redact',
      phone: 'keep',
    });
  });
});
