import { describe, expect, it } from 'vitest';
import { findPii } from '../../../src/data/pii/index.js';

const found = (text: string) => findPii(text).map((m) => [m.kind, text.slice(m.start, m.end)]);

describe('PII recognisers: how people and systems write identifiers down', () => {
  it('reads full-width digits, letters, brackets and no-break or ideographic spaces as ASCII', () => {
    expect(found('联系电话：１３８　１２３４　５６７８，谢谢')).toEqual([
      ['phone', '１３８　１２３４　５６７８'],
    ]);
    expect(found('身份证号：１１０１０５１９４９１２３１００２Ｘ')).toEqual([
      ['cn_resident_id', '１１０１０５１９４９１２３１００２Ｘ'],
    ]);
    expect(found('办公室（021）62345678')).toEqual([['phone', '（021）62345678']]);
    expect(found('Tel 138\u00a01234\u00a05678')).toEqual([['phone', '138\u00a01234\u00a05678']]);
    expect(found('IBAN DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000')).toEqual([
      ['iban', 'DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000'],
    ]);
    // Full-width look-alikes stay: a date, an order number, a resident ID with a wrong check character.
    expect(
      found(
        '２０２４年３月１５日，订单号：２０２４０３１５１２３４５６７８，１１０１０５１９４９１２３１００２Ｙ',
      ),
    ).toEqual([]);
  });

  it('reads a number broken over two lines, but not the next line into it', () => {
    expect(found('电话: +86 138 1234\n5678\n谢谢')).toEqual([['phone', '+86 138 1234\n5678']]);
    expect(found('card 4111 1111\n1111 1111 on file')).toEqual([['bank_card', '4111 1111\n1111 1111']]);
    // One number a line stays two numbers; the next line's dose or amount is not taken into a phone.
    expect(found('13812345678\n13912345678')).toEqual([
      ['phone', '13812345678'],
      ['phone', '13912345678'],
    ]);
    expect(found('M: +852 6534 8661\n1 mg/kg twice a day')).toEqual([['phone', '+852 6534 8661']]);
    expect(found('Tel: +852 3608 2398\n5878 Cedar Boulevard')).toEqual([
      ['phone', '+852 3608 2398'],
      ['street_address', '5878 Cedar Boulevard'],
    ]);
  });

  it('reads an IPv6 address with an IPv4 tail, or after a label and its colon, as one address', () => {
    expect(found('remote=::ffff:192.0.2.1 ok')).toEqual([['ipv6', '::ffff:192.0.2.1']]);
    expect(found('登录IP：2001:db8::7:3f31　备注')).toEqual([['ipv6', '2001:db8::7:3f31']]);
    expect(found('IP:2001:db8::1')).toEqual([['ipv6', '2001:db8::1']]);
    expect(found('2001:0db8:85a3:0000:0000:8a2e:0370:7334')).toEqual([
      ['ipv6', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
    ]);
    // MAC addresses, times and C++ scopes stay.
    expect(found('mac 00:1a:2b:3c:4d:5e at 12:30:45, std::vector')).toEqual([]);
  });

  it('catches a Chinese mobile written 3-8, not a reference written so', () => {
    expect(found('王伟 138 12345678')).toEqual([['phone', '138 12345678']]);
    expect(found('batch 130 20240315')).toEqual([]);
  });

  it('reads a 0 after a label and its colon as an area code, after a number as a month or minutes', () => {
    expect(found('Tel:020-76773327')).toEqual([['phone', '020-76773327']]);
    expect(found('at 12:05-0800 on 2024-03-05 and 2024.03.0512')).toEqual([]);
  });

  it('keeps versions after firmware, fw, release and 固件 words, not the addresses they resemble', () => {
    expect(found('firmware 2.1.0.12, fw 3.4.5.6, release 1.2.3.4, 固件 4.0.1.2')).toEqual([]);
    expect(found('gateway 10.1.0.12')).toEqual([['ipv4', '10.1.0.12']]);
  });

  it('reads a resident ID wrapped or spaced once anywhere, not two numbers that fail its check', () => {
    expect(found('身份证号：1101051949\n1231002X　备注')).toEqual([
      ['cn_resident_id', '1101051949\n1231002X'],
    ]);
    expect(found('wrote 11010519491231 002X (verified)')).toEqual([
      ['cn_resident_id', '11010519491231 002X'],
    ]);
    // Look-alikes: the same split with a wrong check character, and an order number beside a date.
    expect(found('身份证号：1101051949\n1231002Y　备注')).toEqual([]);
    expect(found('wrote 11010519491231 0021 (verified)')).toEqual([]);
    expect(found('batch 2024031512 34567890 done')).toEqual([]);
  });

  it('reads an IPv6 address after a full-width colon, even one that starts with ::', () => {
    expect(found('IPv6地址：::ffff:85.52.135.121　备注')).toEqual([['ipv6', '::ffff:85.52.135.121']]);
    // A run of three colons is no address (RFC 4291 allows one ::).
    expect(found('a:::ffff x')).toEqual([]);
  });

  it('finds an English street address after a line break between number and name', () => {
    expect(found('ship to 221B\nBaker Street')).toEqual([['street_address', '221B\nBaker Street']]);
  });
});
