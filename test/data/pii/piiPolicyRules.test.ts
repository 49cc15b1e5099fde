import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkPiiKey,
  mergePiiCounts,
  MIN_PII_KEY_LENGTH,
  normalisePiiValue,
  parsePiiPolicy,
  PII_KINDS,
  PiiPolicyError,
  pseudonymFor,
  redactText,
  resolvePiiPolicy,
  type PiiCounts,
} from '../../../src/data/pii/index.js';

// The policy's and the redactor's rules one by one, as a dataset owner relies on them: the text of a policy,
// the refusals and their words, the key's length, the normal form each kind's pseudonym is computed from.

const KEY = 'a-test-key-of-32-characters-long';

function refusal(run: () => unknown): PiiPolicyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PiiPolicyError);
    return error as PiiPolicyError;
  }
  return expect.unreachable('no PiiPolicyError thrown');
}

describe('the policy text', () => {
  it('reads kind=action pairs with white space around the parts, the kinds and the actions, and skips empty parts', () => {
    expect(parsePiiPolicy(' phone = pseudonymise ,, email=keep , ')).toStrictEqual({
      phone: 'pseudonymise',
      email: 'keep',
    });
    expect(parsePiiPolicy('')).toStrictEqual({});
    expect(parsePiiPolicy(' , ')).toStrictEqual({});
  });

  it('names only the kinds written when there is no *', () => {
    const policy = parsePiiPolicy('iban=keep');
    expect(Object.keys(policy)).toEqual(['iban']);
    expect(parsePiiPolicy({ passport: 'redact' })).toStrictEqual({ passport: 'redact' });
  });

  it('sets every kind not named with *, wherever the * stands, and a named kind keeps its action', () => {
    for (const text of ['*=keep,email=redact', 'email=redact,*=keep']) {
      const policy = parsePiiPolicy(text);
      expect(Object.keys(policy).sort()).toEqual([...PII_KINDS].sort());
      for (const kind of PII_KINDS)
        expect(policy[kind], `${text}: ${kind}`).toBe(kind === 'email' ? 'redact' : 'keep');
    }
  });

  it('refuses an entry without a kind before its =, or without =, naming the entry', () => {
    for (const entry of ['=keep', 'phone']) {
      const error = refusal(() => parsePiiPolicy(`email=keep,${entry}`));
      expect(error.code).toBe('PII_POLICY_INVALID');
      expect(error.name).toBe('PiiPolicyError');
      expect(error.message).toBe(
        `PII policy entry "${entry}" is not kind=action: write e.g. phone=pseudonymise,email=keep`,
      );
    }
  });

  it('refuses an unknown action or kind, in text or an object, with the choices in the message', () => {
    expect(refusal(() => parsePiiPolicy('phone=hide')).message).toBe(
      'PII policy action "hide" for phone is unknown: use one of redact, keep, pseudonymise',
    );
    expect(refusal(() => parsePiiPolicy({ phone: 'hide' })).code).toBe('PII_POLICY_INVALID');
    expect(refusal(() => parsePiiPolicy('*=hide')).message).toMatch(
      /^PII policy action "hide" for \* is unknown/,
    );
    const unknownKind = refusal(() => parsePiiPolicy({ telephone: 'keep' }));
    expect(unknownKind.code).toBe('PII_POLICY_INVALID');
    expect(unknownKind.message).toBe(
      `PII policy kind "telephone" is unknown: use * or one of ${PII_KINDS.join(', ')}`,
    );
  });

  it('resolves every kind, redacting those left out (and all of them with no policy)', () => {
    expect(resolvePiiPolicy()).toStrictEqual(Object.fromEntries(PII_KINDS.map((kind) => [kind, 'redact'])));
    expect(resolvePiiPolicy({ ssn: 'pseudonymise' })).toStrictEqual(
      Object.fromEntries(PII_KINDS.map((kind) => [kind, kind === 'ssn' ? 'pseudonymise' : 'redact'])),
    );
  });
});

describe('the pseudonym key', () => {
  const policy = parsePiiPolicy('phone=pseudonymise,email=pseudonymise,ssn=keep');

  it(`accepts a key of exactly ${MIN_PII_KEY_LENGTH} characters and refuses one shorter, naming the pseudonymised kinds`, () => {
    expect(MIN_PII_KEY_LENGTH).toBe(16);
    expect(() => checkPiiKey(policy, 'k'.repeat(16))).not.toThrow();
    for (const key of ['k'.repeat(15), '', undefined]) {
      const error = refusal(() => checkPiiKey(policy, key));
      expect(error.code).toBe('PII_KEY_MISSING');
      expect(error.message).toBe(
        'the PII policy pseudonymises phone, email but no key of at least 16 characters is set: set TUNELEDGER_PII_KEY or give a per-dataset salt',
      );
    }
  });

  it('needs no key when nothing is pseudonymised', () => {
    expect(() => checkPiiKey({ phone: 'keep', email: 'redact' }, undefined)).not.toThrow();
    expect(redactText('mail li.na@example.com', undefined, { policy: { email: 'keep' } })).toBe(
      'mail li.na@example.com',
    );
  });

  it('is checked before any text is read, even a text without PII', () => {
    expect(refusal(() => redactText('nothing here', undefined, { policy })).code).toBe('PII_KEY_MISSING');
  });
});

describe('the normal form a pseudonym is computed from', () => {
  it.each([
    ['email', ' Li.Na @Example.COM\n', 'li.na@example.com'],
    ['ipv6', '2001:DB8: :1', '2001:db8::1'],
    ['ipv4', ' 010.000. 000.001 ', '10.0.0.1'],
    ['street_address', '  12   Main\nStreet ', '12 main street'],
    ['passport', 'e 1234-5678', 'E12345678'],
    ['cn_resident_id', '110105·19491231・002x', '11010519491231002X'],
    ['bank_card', '6222\u20140212\u22123456/7890.128', '6222021234567890128'],
    ['driving_licence', '(ab) 12\u2010345', 'AB12345'],
  ] as const)('%s %j reads as %j', (kind, written, normal) => {
    expect(normalisePiiValue(kind, written)).toBe(normal);
  });

  it.each([
    ['+86 138 1234 5678', '13812345678'],
    ['0086-13812345678', '13812345678'],
    ['8613812345678', '13812345678'],
    ['(+86) 13812345678', '13812345678'],
    ['( 0086 ) 13812345678', '13812345678'],
    ['+86 10 8765 4321', '01087654321'],
    ['+86 (0)10 8765 4321', '01087654321'],
    ['+1 415 555 0199', '4155550199'],
    ['001 415 555 0199', '4155550199'],
    ['1-415-555-0199', '4155550199'],
    ['1 415 555 0199', '4155550199'],
    ['1.415.555.0199', '4155550199'],
    ['+1 415 555 01999', '141555501999'],
    ['1-415-555-019', '1415555019'],
    ['14155550199', '14155550199'],
    ['+44 20 7946 0958', '442079460958'],
    ['8612345678901', '8612345678901'],
    ['(415) 555-0199', '4155550199'],
    // Only a number that starts with + or 00 is international: a mobile with 00 inside keeps its leading 1.
    ['138 0013 8000', '13800138000'],
    // 00 is dropped only at the start.
    ['+86 10 8700 4321', '01087004321'],
    // 86 without + is a country code only before exactly a mobile's 11 digits.
    ['86 138 1234 56789', '86138123456789'],
    ['86 86 1381 2345 678', '868613812345678'],
    // After +86 only a national number of exactly a mobile's 11 digits goes without a trunk 0.
    ['+86 138 1234 56789', '0138123456789'],
    ['+86 5 1381234 5678', '0513812345678'],
    // Another country's 11 digits keep their first digit; only +1 drops it.
    ['+33 1 23 45 67 89', '33123456789'],
    // A trunk 1 is only the first digit written apart: a Shanghai landline keeps its 021.
    ['021-5555 0199', '02155550199'],
  ])('phone %j reads as %j', (written, normal) => {
    expect(normalisePiiValue('phone', written)).toBe(normal);
  });

  it('is HMAC-SHA256 under the key of the placeholder and the normal form, its first 8 hex digits in the placeholder', () => {
    const digest = (message: string) => createHmac('sha256', KEY).update(message).digest('hex').slice(0, 8);
    expect(pseudonymFor('phone', '+86 138 1234 5678', KEY)).toBe(`[PHONE:${digest('[PHONE]:13812345678')}]`);
    expect(pseudonymFor('street_address', ' 12 Main  Street', KEY)).toBe(
      `[ADDRESS:${digest('[ADDRESS]:12 main street')}]`,
    );
    // Both IP kinds share a placeholder, so the same text gets one pseudonym as either.
    expect(pseudonymFor('ipv6', '::1', KEY)).toBe(`[IP_ADDRESS:${digest('[IP_ADDRESS]:::1')}]`);
  });
});

describe('the redactor', () => {
  it('keeps a kept span, pseudonymises and redacts the others in one text, each in its place', () => {
    const text = 'Call 138 1234 5678 or mail li.na@example.com, passport E12345678.';
    const out = redactText(text, undefined, {
      policy: { phone: 'keep', email: 'pseudonymise' },
      key: KEY,
    });
    expect(out).toBe(
      `Call 138 1234 5678 or mail ${pseudonymFor('email', 'li.na@example.com', KEY)}, passport [PASSPORT].`,
    );
  });

  it('returns a text without PII as it is and counts nothing', () => {
    const counts: PiiCounts = { phone: 2 };
    expect(redactText('nothing to see, 12 apples', counts)).toBe('nothing to see, 12 apples');
    expect(counts).toStrictEqual({ phone: 2 });
  });

  it('adds to the counts it is given, kind by kind', () => {
    const counts: PiiCounts = { phone: 2 };
    redactText('138 1234 5678 and 139 8765 4321, li.na@example.com', counts);
    expect(counts).toStrictEqual({ phone: 4, email: 1 });
  });

  it('sums reports kind by kind into the first and returns it', () => {
    const into: PiiCounts = { phone: 1, iban: 3 };
    const merged = mergePiiCounts(into, { phone: 2, email: 1 });
    expect(merged).toBe(into);
    expect(into).toStrictEqual({ phone: 3, iban: 3, email: 1 });
    expect(mergePiiCounts({}, {})).toStrictEqual({});
  });
});
