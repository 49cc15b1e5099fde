import { describe, expect, it } from 'vitest';
import { findPii, PII_SCORE_THRESHOLD, redactText, scorePiiCandidates } from '../../../src/data/pii/index.js';

const found = (text: string) => findPii(text).map((m) => [m.kind, text.slice(m.start, m.end)]);

describe('PII recognisers: identifiers written bare are caught', () => {
  it.each([
    ['phone', '415.555.0199', 'Reach the desk at 415.555.0199 today.'],
    ['phone', '415-555-0199', 'Number on file: 415-555-0199.'],
    ['phone', '(415) 555-0199', 'Left a voicemail from (415) 555-0199 yesterday'],
    // The exchange and line written together after a bracketed area code: a run of seven digits.
    ['phone', '(415) 5550199', 'Left a voicemail from (415) 5550199 yesterday'],
    ['phone', '(415)5550199', 'call (415)5550199 now'],
    ['phone', '415 555 0199', 'Listed as 415 555 0199 in the form.'],
    ['phone', '4155550199', 'Form field: 4155550199'],
    ['phone', '+1 415 555 0199', 'The US office, +1 415 555 0199, opens at nine.'],
    ['phone', '(021) 62345678', '上海办公室 (021) 62345678 周一开放'],
    ['phone', '010-8765 4321', '北京：010-8765 4321。'],
    // At the very start of the text: no date or time before the 0 to make it a month or minutes.
    ['phone', '010-8765 4321', '010-8765 4321 是总机'],
    ['phone', '0755 8888 9999', '深圳分部 0755 8888 9999'],
    ['phone', '138.1234.5678', '王伟 138.1234.5678'],
    // 0086 and the mobile, apart or together: the digit-led start at the 0 holds 4, 7, 11 or 15 digits.
    ['phone', '0086 138 1234 5678', '手机 0086 138 1234 5678'],
    ['phone', '0086138 1234 5678', '手机 0086138 1234 5678'],
    ['phone', '008613812345678', '手机 008613812345678'],
    ['phone', '0086-13812345678', '手机 0086-13812345678'],
    ['phone', '+86 10 8765 4321', 'Beijing: +86 10 8765 4321.'],
    ['cn_resident_id', '110105 19491231 002X', '李明 110105 19491231 002X 已登记'],
    ['cn_resident_id', '110105-19491231-002X', 'ID 110105-19491231-002X'],
    ['cn_resident_id', '11010519491231002X', '资料：11010519491231002X。'],
    ['passport', 'E12345678', '他的证件 E12345678 明年到期'],
    ['passport', 'G12345678', 'Document G12345678 was scanned.'],
    ['passport', 'C12345678', '港澳通行证以外的号码 C12345678'],
    ['passport', 'EA1234567', '王芳补充了EA1234567，已确认。'],
    ['passport', 'EJ7671935', '| 刘洋 | EJ7671935 | 20181204052533 |'],
    ['bank_card', '3530 1113 3330 0000', 'JCB 3530 1113 3330 0000 on file'],
    ['driving_licence', 'AB1234567', 'Licence AB1234567 expires in May.'],
    ['driving_licence', 'XY7654321', 'on record: XY7654321'],
    ['driving_licence', 'A123-4567-8901', 'card A123-4567-8901 on the dashboard'],
    ['ssn', '123-45-6789', 'Form W-2 shows 123-45-6789.'],
    ['email', 'li.na@example.com', 'li.na@example.com wrote back'],
    ['bank_card', '6222 0212 3456 7890 128', '卡 6222 0212 3456 7890 128 已冻结'],
  ])('%s %s', (kind, value, text) => {
    expect(found(text)).toContainEqual([kind, value]);
  });

  it('reads a passport word before a code that is a licence when bare', () => {
    expect(found('Passport number: AB1234567.')).toEqual([['passport', 'AB1234567']]);
    expect(found('AB1234567.')).toEqual([['driving_licence', 'AB1234567']]);
    expect(found('驾驶证号 AB1234567，护照号码 CD7654321')).toEqual([
      ['driving_licence', 'AB1234567'],
      ['passport', 'CD7654321'],
    ]);
  });

  it('reads the newer Chinese passport form (E, a letter, seven digits) as a passport, as a licence after a licence word', () => {
    expect(found('EA1234567.')).toEqual([['passport', 'EA1234567']]);
    expect(found("driver's licence EA1234567")).toEqual([['driving_licence', 'EA1234567']]);
    expect(found('驾驶证号 EB7654321')).toEqual([['driving_licence', 'EB7654321']]);
    // E with I or O is not an issued passport series: the guide's licence pattern reads it.
    expect(found('EI1234567 and EO1234567')).toEqual([
      ['driving_licence', 'EI1234567'],
      ['driving_licence', 'EO1234567'],
    ]);
  });

  it('takes 35 as JCB only from 3528 to 3589, so a resident ID with a wrong check is no card', () => {
    // 350203199106289667 passes Luhn; 3502 is outside JCB's range and the resident ID check fails.
    expect(found('trace 350203199106289667 end')).toEqual([]);
    expect(found('trace 3528000000000007 end')).toEqual([['bank_card', '3528000000000007']]);
  });

  it('needs a context word for formats that are too common bare, and scores it', () => {
    expect(found('Reference 123456789 was closed.')).toEqual([]);
    expect(found('passport no. 123456789')).toEqual([['passport', '123456789']]);
    expect(found('6234 5678')).toEqual([]);
    expect(found('电话 6234 5678')).toEqual([['phone', '6234 5678']]);
    const passports = (text: string) => scorePiiCandidates(text).filter((c) => c.kind === 'passport');
    expect(passports('123456789').every((c) => c.score < PII_SCORE_THRESHOLD)).toBe(true);
    expect(passports('passport 123456789')[0]!.score).toBeGreaterThanOrEqual(PII_SCORE_THRESHOLD);
    const [card] = scorePiiCandidates('4111 1111 1111 1111').filter((c) => c.kind === 'bank_card');
    expect(card!.score).toBe(1);
  });

  it('keeps the report counts and placeholders of a mixed text', () => {
    const counts = {};
    expect(redactText('Call 415.555.0199, passport E12345678, 身份证 110105 19491231 002X.', counts)).toBe(
      'Call [PHONE], passport [PASSPORT], 身份证 [CN_ID].',
    );
    expect(counts).toEqual({ phone: 1, passport: 1, cn_resident_id: 1 });
  });
});

describe('PII recognisers: look-alikes are kept', () => {
  it.each([
    [
      'dates',
      '签于 2024-03-15，生效 2024/03/15，on 03/15/2024, 15.03.2024, 20240315, 2024年3月15日, March 15, 2024',
    ],
    ['a date and hour run together', 'batch 2024031512 finished'],
    ['times', 'at 14:30, 14:30:59 and 2024-03-15T14:30:00Z'],
    [
      'order and invoice numbers',
      'INV-2024-000123, PO-884213, SO202403150001, order #4155550199, 订单号 2024031512345678',
    ],
    ['versions', 'v1.2.3, 2.10.0-beta.1, version 1.2.3.4, build 20240315.1'],
    ['ISBN-13 with a valid check digit', 'ISBN 978-7-111-54742-6 and 9787111547426'],
    ['doses', '500 mg, 0.5 mL, 2x10 mg, 每次500毫克'],
    [
      'hex hashes',
      'commit 3fa2c1d9, sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, E3B0C44298FC1C149AFBF4C8996FB924',
    ],
    ['a resident ID with a wrong check digit', '11010519491231002Y 110105 19491231 0021'],
    ['a card number with a wrong check digit', '4111 1111 1111 1112 and 6222-0212-3456-7890-127'],
    ['statute numbers', '第 123 条, 第12条第3款, § 1983, 42 U.S.C. § 1983, Article 17(2)'],
    ['serials and models', 'SN: AB1234567, model AB1234567, SKU-1234-56'],
    ['amounts, coordinates, ZIP codes', '$1,234,567.89, ¥12,345.00, 31.230416, 121.473701, ZIP 94103-1234'],
  ])('%s', (_what, text) => {
    expect(found(text)).toEqual([]);
  });
});
