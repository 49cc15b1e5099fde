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

  it('gives one pseudonym to an identifier written with full-width digits, wide spaces or other separators', () => {
    const same = (kind: Parameters<typeof pseudonymFor>[0], ...forms: string[]) => {
      const pseudonyms = new Set(forms.map((form) => pseudonymFor(kind, form, KEY)));
      expect(pseudonyms.size, `${kind}: ${forms.join(' | ')}`).toBe(1);
    };
    same(
      'phone',
      '138 1234 5678',
      '１３８　１２３４　５６７８',
      '138\n1234 5678',
      '+86 138-1234-5678',
      '(+86) 13812345678',
    );
    same(
      'phone',
      '010-8765 4321',
      '+86 10 8765 4321',
      '(010) 87654321',
      '０１０－８７６５４３２１',
      '+86 (0)10 8765 4321',
    );
    same(
      'phone',
      '(415) 555-0199',
      '415.555.0199',
      '+1 415 555 0199',
      '1-415-555-0199',
      '４１５–５５５–０１９９',
    );
    same(
      'cn_resident_id',
      '11010519491231002X',
      '110105 19491231 002x',
      '１１０１０５１９４９１２３１００２Ｘ',
      '110105-19491231-002X',
    );
    same(
      'bank_card',
      '6222 0212 3456 7890 128',
      '6222-0212-3456-7890-128',
      '６２２２０２１２３４５６７８９０１２８',
    );
    same('passport', 'E12345678', 'Ｅ１２３４５６７８');
    same('email', 'Li.Na@Example.com', 'ｌｉ.ｎａ＠ｅｘａｍｐｌｅ.ｃｏｍ');
    same('ipv4', '10.0.0.1', '１０.０.０.１', '010.000.000.001');
    // Different identifiers stay apart: dots that are part of an address, another country's number.
    const differ = (kind: Parameters<typeof pseudonymFor>[0], a: string, b: string) =>
      expect(pseudonymFor(kind, a, KEY), `${kind}: ${a} vs ${b}`).not.toBe(pseudonymFor(kind, b, KEY));
    differ('ipv4', '1.11.1.1', '11.1.1.1');
    differ('email', 'li.na@example.com', 'lina@example.com');
    differ('phone', '+852 6534 8661', '6534 8661');
    differ('phone', '+44 20 7946 0958', '020 7946 0958');
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
