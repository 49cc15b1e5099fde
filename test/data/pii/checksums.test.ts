import { describe, expect, it } from 'vitest';
import {
  chineseResidentIdValid,
  IBAN_LENGTHS,
  ibanValid,
  luhnValid,
} from '../../../src/data/pii/checksums.js';

/** ISO 13616 check digits computed with BigInt over the whole number, independently of ibanValid's running remainder. */
function withIbanCheckDigits(country: string, bban: string): string {
  const numeric = [...`${bban}${country}00`]
    .map((c) => (c >= 'A' && c <= 'Z' ? String(c.charCodeAt(0) - 55) : c))
    .join('');
  const check = 98n - (BigInt(numeric) % 97n);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

/** GB 11643-1999 check character, written out from the standard's weights (2^(17-i) mod 11). */
function withCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  return first17 + '10X98765432'[sum % 11];
}

/*
 * The birth-date check compares year, month and day of the date built from them: an impossible day rolls
 * the month over and an impossible month the year, so removing any one of the three comparisons alone
 * is an equivalent mutant; removing the date check as a whole is caught below.
 */
describe('Chinese resident identity number', () => {
  it("accepts the standard's own example and ids with a real birth date", () => {
    expect(chineseResidentIdValid('11010519491231002X')).toBe(true);
    expect(chineseResidentIdValid('11010519491231002x')).toBe(true);
    expect(chineseResidentIdValid(withCheckCharacter('44030420000229123'))).toBe(true); // 2000 is a leap year
    expect(chineseResidentIdValid(withCheckCharacter('31010119000101001'))).toBe(true);
  });

  it('refuses a wrong check character', () => {
    expect(chineseResidentIdValid('110105194912310021')).toBe(false);
  });

  it.each([
    ['month 13', '11010519491331002'],
    ['month 0', '11010519490031002'],
    ['day 0', '11010519491200002'],
    ['31 April', '11010519490431002'],
    ['30 February', '11010519490230002'],
    ['29 February of a common year', '11010519000229002'],
    ['born before 1900', '11010518991231002'],
  ])('refuses a birth date that does not exist (%s) even with a right check character', (_, first17) => {
    expect(chineseResidentIdValid(withCheckCharacter(first17))).toBe(false);
  });

  it('refuses a character just outside the digits whatever the check character', () => {
    for (const outside of ['/', ':'])
      for (const check of '0123456789X')
        expect(chineseResidentIdValid(`1101051949123100${outside}${check}`), outside + check).toBe(false);
  });

  it('refuses wrong lengths and non-digits', () => {
    expect(chineseResidentIdValid('11010519491231002')).toBe(false);
    expect(chineseResidentIdValid('11010519491231002X1')).toBe(false);
    expect(chineseResidentIdValid('1101051949123100AX')).toBe(false);
  });
});

describe('Luhn', () => {
  it('accepts published test card numbers and refuses a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('5500005555555559')).toBe(true);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('4111-1111')).toBe(false);
  });

  it('refuses a character just outside the digits in either position, whatever the other digit', () => {
    for (const outside of ['/', ':'])
      for (const digit of '0123456789') {
        expect(luhnValid(`${digit}${outside}`), `${digit}${outside}`).toBe(false);
        expect(luhnValid(`${outside}${digit}`), `${outside}${digit}`).toBe(false);
      }
  });
});

describe('IBAN', () => {
  it('accepts published examples and refuses a changed digit', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanValid('GB81WEST12345698765432')).toBe(false); // remainder 0, not 1
    expect(ibanValid('GB82-WEST')).toBe(false);
  });

  it('reads the letters A to Z as 10 to 35, at both ends of the alphabet', () => {
    expect(ibanValid('NL91ABNA0417164300')).toBe(true); // a published example with A
    const withZ = withIbanCheckDigits('GB', 'ZZAZ12345698765432');
    expect(ibanValid(withZ)).toBe(true);
    expect(ibanValid(`${withZ.slice(0, 4)}ZZAY${withZ.slice(8)}`)).toBe(false);
  });

  it('refuses a character outside 0-9 and A-Z whatever the check digits', () => {
    for (const outside of ['/', ':', '@', '[', 'a'])
      for (let check = 0; check < 100; check++) {
        const iban = `GB${String(check).padStart(2, '0')}WEST1234569876543${outside}`;
        expect(ibanValid(iban), iban).toBe(false);
      }
  });

  it('knows the registry length of the published examples', () => {
    for (const example of ['GB82WEST12345698765432', 'DE89370400440532013000', 'NL91ABNA0417164300'])
      expect(IBAN_LENGTHS[example.slice(0, 2)], example).toBe(example.length);
  });
});
