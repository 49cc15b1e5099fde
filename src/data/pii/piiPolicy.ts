import { createHmac } from 'node:crypto';
import { PII_KINDS, PII_PLACEHOLDERS, type PiiKind } from './piiKinds.js';

/** What happens to a span of one kind: a placeholder, nothing, or a keyed pseudonym that still joins. */
export const PII_ACTIONS = ['redact', 'keep', 'pseudonymise'] as const;
export type PiiAction = (typeof PII_ACTIONS)[number];

/** An action per kind; a kind left out is redacted. */
export type PiiPolicy = Readonly<Partial<Record<PiiKind, PiiAction>>>;

/** A policy that cannot be used: an unknown kind or action, or pseudonyms without a key. */
export class PiiPolicyError extends Error {
  constructor(
    readonly code: 'PII_POLICY_INVALID' | 'PII_KEY_MISSING',
    message: string,
  ) {
    super(message);
    this.name = 'PiiPolicyError';
  }
}

/** The shortest key accepted for pseudonyms: a short key would let anyone rebuild the table by brute force. */
export const MIN_PII_KEY_LENGTH = 16;

/**
 * A policy from `kind=action` pairs separated by commas (`phone=pseudonymise,email=keep`) or an
 * object; `*=action` sets every kind not named. Throws PiiPolicyError (PII_POLICY_INVALID).
 */
export function parsePiiPolicy(input: string | Readonly<Record<string, string>>): PiiPolicy {
  const pairs: [string, string][] =
    typeof input === 'string'
      ? input
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0)
          .map((part) => {
            const at = part.indexOf('=');
            if (at <= 0) {
              throw new PiiPolicyError(
                'PII_POLICY_INVALID',
                `PII policy entry "${part}" is not kind=action: write e.g. phone=pseudonymise,email=keep`,
              );
            }
            return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
          })
      : Object.entries(input);
  const policy: Partial<Record<PiiKind, PiiAction>> = {};
  let fallback: PiiAction | undefined;
  for (const [kind, action] of pairs) {
    if (!(PII_ACTIONS as readonly string[]).includes(action)) {
      throw new PiiPolicyError(
        'PII_POLICY_INVALID',
        `PII policy action "${action}" for ${kind} is unknown: use one of ${PII_ACTIONS.join(', ')}`,
      );
    }
    if (kind === '*') fallback = action as PiiAction;
    else if ((PII_KINDS as readonly string[]).includes(kind)) policy[kind as PiiKind] = action as PiiAction;
    else {
      throw new PiiPolicyError(
        'PII_POLICY_INVALID',
        `PII policy kind "${kind}" is unknown: use * or one of ${PII_KINDS.join(', ')}`,
      );
    }
  }
  if (fallback) for (const kind of PII_KINDS) policy[kind] ??= fallback;
  return policy;
}

/** Every kind with its action, as a revision's PII report records it. */
export function resolvePiiPolicy(policy: PiiPolicy = {}): Record<PiiKind, PiiAction> {
  return Object.fromEntries(PII_KINDS.map((kind) => [kind, policy[kind] ?? 'redact'])) as Record<
    PiiKind,
    PiiAction
  >;
}

/** Throws PII_KEY_MISSING when the policy pseudonymises a kind and no usable key is given. */
export function checkPiiKey(policy: PiiPolicy, key: string | undefined): void {
  if (!Object.values(policy).includes('pseudonymise')) return;
  if (key === undefined || key.length < MIN_PII_KEY_LENGTH) {
    throw new PiiPolicyError(
      'PII_KEY_MISSING',
      `the PII policy pseudonymises ${Object.entries(policy)
        .filter(([, action]) => action === 'pseudonymise')
        .map(([kind]) => kind)
        .join(
          ', ',
        )} but no key of at least ${MIN_PII_KEY_LENGTH} characters is set: set TUNELEDGER_PII_KEY or give a per-dataset salt`,
    );
  }
}

/**
 * The value as the same identifier is written anywhere, so that it gets one pseudonym: full-width
 * digits, letters and signs and wide spaces read as ASCII (Unicode NFKC), separators of any kind
 * dropped (spaces, line breaks, dots, brackets, slashes, hyphens and dashes; an address keeps its
 * dots and colons), letters upper-cased (an e-mail, IPv6 or street address lower-cased, an IPv4
 * address's numbers without leading zeros), and a phone number in its
 * national form: "+86 138 1234 5678", "0086-13812345678" and "138.1234.5678" are one number, as
 * are "+86 10 8765 4321" and "010-8765 4321", and "+1 415 555 0199", "1-415-555-0199" and
 * "(415) 555-0199".
 */
export function normalisePiiValue(kind: PiiKind, value: string): string {
  const ascii = value.normalize('NFKC');
  // Dots and colons belong to these: 1.11.1.1 is not 11.1.1.1.
  if (kind === 'email' || kind === 'ipv6') return ascii.replace(/\s+/g, '').toLowerCase();
  if (kind === 'ipv4') return ascii.replace(/\s+/g, '').split('.').map(Number).join('.');
  if (kind === 'street_address') return ascii.replace(/\s+/g, ' ').trim().toLowerCase();
  if (kind === 'phone') return nationalPhoneNumber(ascii);
  return ascii.replace(SEPARATORS, '').toUpperCase();
}

/** White space, dots, brackets, slashes, and the hyphen, dash and minus characters. */
const SEPARATORS = /[\s()./\-\u2010-\u2015\u2212\u30fb\u00b7]/g;

/** A phone number's digits in national form (China and the North American plan), or with its country code. */
function nationalPhoneNumber(written: string): string {
  const digits = written.replace(/\D/g, '');
  const international = /^\(?\s*(?:\+|00)/.test(written);
  if (international || /^86(?:1[3-9]\d{9})$/.test(digits)) {
    const number = digits.replace(/^00/, '');
    // China (+86): a mobile as its 11 digits, a landline with its trunk 0 (written "(0)" or not).
    if (number.startsWith('86')) {
      const national = number.slice(2);
      return /^1[3-9]\d{9}$/.test(national) ? national : `0${national.replace(/^0/, '')}`;
    }
    // The North American plan (+1): the ten digits.
    if (number.startsWith('1') && number.length === 11) return number.slice(1);
    return number;
  }
  // "1-415-555-0199": the trunk 1 written apart before ten digits.
  if (/^1[\s.-]/.test(written) && digits.length === 11) return digits.slice(1);
  return digits;
}

/** `[PHONE:3fa2c1d9]`: the kind's placeholder with the first 8 hex digits of HMAC-SHA256(key, kind:normalised value). */
export function pseudonymFor(kind: PiiKind, value: string, key: string): string {
  const digest = createHmac('sha256', key)
    .update(`${PII_PLACEHOLDERS[kind]}:${normalisePiiValue(kind, value)}`)
    .digest('hex')
    .slice(0, 8);
  return `${PII_PLACEHOLDERS[kind].slice(0, -1)}:${digest}]`;
}
