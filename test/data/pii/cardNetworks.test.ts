import { describe, expect, it } from 'vitest';
import { findPii, luhnValid } from '../../../src/data/pii/index.js';

// Which first digits and lengths each card network issues: a number that passes Luhn is a card only there
// (so a Luhn-valid order number or resident id is not redacted as one).

/** `prefix`, then 7s, then the Luhn check digit: `length` digits in all. */
function cardNumber(prefix: string, length: number): string {
  const body = prefix.padEnd(length - 1, '7');
  for (let check = 0; check <= 9; check++) if (luhnValid(`${body}${check}`)) return `${body}${check}`;
  throw new Error('no check digit');
}

const isCard = (number: string) =>
  findPii(`card ${number} end`).some((m) => m.kind === 'bank_card' && m.end - m.start === number.length);

describe('card networks', () => {
  it.each([
    ['Visa', '4', [13, 16, 19], [14, 15, 17, 18]],
    ['Mastercard 51-55', '51', [16], [15, 17]],
    ['Mastercard 55', '55', [16], [15]],
    ['Mastercard 2221', '2221', [16], [17]],
    ['Mastercard 2720', '2720', [16], [15]],
    ['American Express 34', '34', [15], [14, 16]],
    ['American Express 37', '37', [15], [16]],
    ['UnionPay 62', '62', [16, 17, 18, 19], [15]],
    ['81', '81', [16, 19], [15]],
    ['Discover 6011', '6011', [16, 19], [15]],
    ['Discover 65', '65', [16, 19], [15]],
    ['Discover 644', '644', [16, 19], [15]],
    ['Discover 649', '649', [16], [15]],
    ['JCB 3528', '3528', [16, 19], [15]],
    ['JCB 3589', '3589', [16, 19], [15]],
    ['Diners 36', '36', [14, 19], [13]],
    ['Diners 38', '38', [14], [13]],
    ['Diners 30', '30', [14, 19], [13]],
  ] as [string, string, number[], number[]][])(
    '%s (%s) at its lengths only',
    (_name, prefix, lengths, others) => {
      for (const length of lengths)
        expect(isCard(cardNumber(prefix, length)), `${prefix} ${length}`).toBe(true);
      for (const length of others)
        expect(isCard(cardNumber(prefix, length)), `${prefix} ${length}`).toBe(false);
    },
  );

  it.each(['50', '56', '2220', '2721', '33', '643', '6010', '3527', '3590', '39', '1', '7', '9'])(
    'no network starts with %s',
    (prefix) => {
      for (const length of [13, 14, 15, 16, 17, 18, 19])
        expect(isCard(cardNumber(prefix, length)), `${prefix} ${length}`).toBe(false);
    },
  );
});
