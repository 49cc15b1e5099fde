/**
 * A held-out labelled corpus for the PII recognisers, written apart from them (issue #15): the
 * formats come from their public definitions (ITU-T E.164 and national numbering plans, GB 11643
 * resident IDs, ISO 13616 IBANs, ISO/IEC 7812 card numbers with Luhn, the SSA's SSN rules, RFC 5321
 * addresses, RFC 4291 IPv6 text forms, UPU S10 item numbers, GB 32100 credit codes), not from the
 * recognisers' patterns, and the text follows how people and systems write them down: full-width
 * digits and punctuation, numbers broken over lines, CSV, JSON and Markdown tables, addresses inside
 * URLs, phones with country codes and extensions, IDs inside Chinese prose with no space around them.
 *
 * Look-alikes that must be kept sit beside them and are labelled by category (tracking numbers,
 * bank reference codes, timestamps, hex ids, versions, doses, statute and case numbers, ...), so
 * the bench can say which category a false positive came from. Its own templates and helpers; it
 * shares nothing with test/support/piiCorpus.ts either.
 */
import type { PiiKind } from '../../src/data/pii/index.js';

export interface HeldOutSpan {
  readonly kind: PiiKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** The form it was written in (for the per-form report of misses). */
  readonly form: string;
}

export interface HeldOutLookAlike {
  readonly category: string;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface HeldOutRecord {
  readonly text: string;
  readonly spans: readonly HeldOutSpan[];
  readonly lookAlikes: readonly HeldOutLookAlike[];
}

// ---- randomness (sfc32, seeded) ----

class Dice {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed | 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }
  one<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  digits(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += String(this.below(10));
    return out;
  }
  upper(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += String.fromCharCode(65 + this.below(26));
    return out;
  }
  hex(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += '0123456789abcdef'[this.below(16)];
    return out;
  }
}

const zeroPad = (n: number, width: number) => String(n).padStart(width, '0');

/** Full-width forms of ASCII digits, letters and a few signs, as Chinese IMEs type them. */
function fullWidth(text: string): string {
  return text.replace(/[0-9A-Za-z+\-()@.]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));
}

function split(text: string, sizes: readonly number[]): string[] {
  const out: string[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= text.length) break;
    out.push(text.slice(at, at + size));
    at += size;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

// ---- check digits, from the standards ----

/** ISO/IEC 7812 Luhn: the digit that makes payload + digit pass. */
function luhnDigit(payload: string): string {
  let sum = 0;
  let double = true;
  for (let i = payload.length - 1; i >= 0; i--) {
    let d = payload.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return String((10 - (sum % 10)) % 10);
}

/** GB 11643-1999 (ISO 7064 MOD 11-2) check character. */
function gb11643(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * (2 ** (17 - i) % 11);
  return '10X98765432'[sum % 11]!;
}

/** ISO 13616 check digits: 98 - (BBAN + country + "00" as digits mod 97). */
function ibanDigits(country: string, bban: string): string {
  const moved = bban + country + '00';
  let rest = 0;
  for (const ch of moved) {
    const value = ch >= 'A' && ch <= 'Z' ? ch.charCodeAt(0) - 55 : Number(ch);
    rest = (rest * (value > 9 ? 100 : 10) + value) % 97;
  }
  return zeroPad(98 - rest, 2);
}

/** UPU S10 check digit over the 8-digit serial. */
function s10Digit(serial: string): string {
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(serial[i]) * weights[i]!;
  const c = 11 - (sum % 11);
  return String(c === 10 ? 0 : c === 11 ? 5 : c);
}

/** GB 32100-2015 unified social credit code check character. */
function creditCodeCheck(first17: string): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += alphabet.indexOf(first17[i]!) * weights[i]!;
  return alphabet[(31 - (sum % 31)) % 31]!;
}

// ---- identifiers: value and written form ----

interface Written {
  readonly text: string;
  readonly form: string;
}

const MOBILE_PREFIXES = [
  '130',
  '131',
  '132',
  '133',
  '135',
  '136',
  '137',
  '138',
  '139',
  '147',
  '150',
  '151',
  '152',
  '155',
  '157',
  '158',
  '159',
  '166',
  '173',
  '176',
  '177',
  '180',
  '181',
  '186',
  '187',
  '188',
  '189',
  '191',
  '198',
  '199',
];

function cnMobile(d: Dice): Written {
  const number = d.one(MOBILE_PREFIXES) + d.digits(8);
  const [a, b, c] = split(number, [3, 4, 4]) as [string, string, string];
  const code = d.one(['', '', '+86 ', '+86-', '+86', '0086 ', '(+86) ', '+86 ']);
  switch (d.below(9)) {
    case 0:
      return { text: code + number, form: 'mobile plain' };
    case 1:
      return { text: `${code}${a} ${b} ${c}`, form: 'mobile spaced' };
    case 2:
      return { text: `${code}${a}-${b}-${c}`, form: 'mobile dashed' };
    case 3:
      return { text: fullWidth(`${a}${b}${c}`), form: 'mobile full-width' };
    case 4:
      return {
        text: `${fullWidth(a)}\u3000${fullWidth(b)}\u3000${fullWidth(c)}`,
        form: 'mobile full-width spaced',
      };
    case 5:
      return { text: `${a}\u00a0${b}\u00a0${c}`, form: 'mobile nbsp' };
    case 6:
      return { text: `${code}${a} ${b}\n${c}`, form: 'mobile line break' };
    case 7:
      return { text: `${code}${a}.${b}.${c}`, form: 'mobile dotted' };
    default:
      return { text: `${code}${a} ${b}${c}`, form: 'mobile 3-8' };
  }
}

function cnLandline(d: Dice): Written {
  const area = d.one([
    '10',
    '21',
    '20',
    '22',
    '23',
    '24',
    '25',
    '27',
    '28',
    '29',
    '755',
    '571',
    '512',
    '532',
    '731',
    '591',
    '871',
    '898',
  ]);
  const local =
    area.length === 2
      ? String(d.range(2, 8)) + d.digits(7)
      : String(d.range(2, 8)) + d.digits(d.chance(0.7) ? 7 : 6);
  // Eight digits are written 4-4, seven 3-4.
  const half = local.length - 4;
  const grouped = `${local.slice(0, half)} ${local.slice(half)}`;
  switch (d.below(6)) {
    case 0:
      return { text: `0${area}-${local}`, form: 'landline dashed' };
    case 1:
      return { text: `(0${area}) ${grouped}`, form: 'landline parenthesised' };
    case 2:
      return { text: `+86 ${area} ${grouped}`, form: 'landline +86' };
    case 3:
      return { text: `+86-${area}-${local}`, form: 'landline +86 dashed' };
    case 4:
      return { text: `（0${area}）${local}`, form: 'landline full-width brackets' };
    default:
      return { text: `0${area} ${grouped}`, form: 'landline spaced' };
  }
}

function northAmerican(d: Dice): Written {
  const npa = `${d.range(2, 9)}${d.range(0, 8)}${d.digits(1)}`;
  const nxx = `${d.range(2, 9)}${d.range(0, 9)}${d.range(2, 9)}`;
  const line = d.digits(4);
  switch (d.below(6)) {
    case 0:
      return { text: `+1 (${npa}) ${nxx}-${line}`, form: 'NANP +1 parenthesised' };
    case 1:
      return { text: `+1-${npa}-${nxx}-${line}`, form: 'NANP +1 dashed' };
    case 2:
      return { text: `(${npa}) ${nxx}-${line}`, form: 'NANP parenthesised' };
    case 3:
      return { text: `${npa}-${nxx}-${line}`, form: 'NANP dashed' };
    case 4:
      return { text: `${npa}.${nxx}.${line}`, form: 'NANP dotted' };
    default:
      return { text: `1 ${npa} ${nxx} ${line}`, form: 'NANP 1 spaced' };
  }
}

function international(d: Dice): Written {
  switch (d.below(7)) {
    case 0:
      return { text: `+44 20 7${d.digits(3)} ${d.digits(4)}`, form: 'UK London' };
    case 1:
      return { text: `+44 7${d.range(4, 9)}${d.digits(2)} ${d.digits(6)}`, form: 'UK mobile' };
    case 2:
      return {
        text: `+852 ${d.one(['2', '3', '5', '6', '9'])}${d.digits(3)} ${d.digits(4)}`,
        form: 'Hong Kong',
      };
    case 3:
      return { text: `+81 ${d.one(['3', '6', '90', '80'])}-${d.digits(4)}-${d.digits(4)}`, form: 'Japan' };
    case 4:
      return { text: `+49 30 ${d.digits(8)}`, form: 'Germany' };
    case 5:
      return { text: `+65 ${d.one(['6', '8', '9'])}${d.digits(3)} ${d.digits(4)}`, form: 'Singapore' };
    default:
      return {
        text: `+33 ${d.range(1, 7)} ${d.digits(2)} ${d.digits(2)} ${d.digits(2)} ${d.digits(2)}`,
        form: 'France',
      };
  }
}

function phone(d: Dice): Written {
  const roll = d.below(10);
  if (roll < 5) return cnMobile(d);
  if (roll < 7) return cnLandline(d);
  if (roll < 8) return northAmerican(d);
  return international(d);
}

/** An extension written after a phone number; never part of the labelled span. */
function extension(d: Dice): string {
  return d.one([
    ` ext. ${d.digits(3)}`,
    ` x${d.digits(4)}`,
    ` 转${d.digits(3)}`,
    ` 分机 ${d.digits(4)}`,
    ` #${d.digits(2)}`,
  ]);
}

function ssn(d: Dice): Written {
  let area = d.range(1, 899);
  if (area === 666) area = 667;
  const value = `${zeroPad(area, 3)}-${zeroPad(d.range(1, 99), 2)}-${zeroPad(d.range(1, 9999), 4)}`;
  return { text: value, form: 'SSN dashed' };
}

const REGION_CODES = [
  '110101',
  '110108',
  '120104',
  '130102',
  '210102',
  '310115',
  '320106',
  '330102',
  '350203',
  '370102',
  '410105',
  '430104',
  '440106',
  '440304',
  '500103',
  '510104',
  '530102',
  '610103',
  '650102',
];

function residentIdValue(d: Dice, validCheck = true): string {
  const birth = new Date(Date.UTC(d.range(1950, 2008), d.below(12), d.range(1, 28)));
  const date = `${birth.getUTCFullYear()}${zeroPad(birth.getUTCMonth() + 1, 2)}${zeroPad(birth.getUTCDate(), 2)}`;
  const body = d.one(REGION_CODES) + date + d.digits(3);
  const check = gb11643(body);
  if (validCheck) return body + check;
  const wrong = '0123456789X'.replace(check, '');
  return body + wrong[d.below(wrong.length)]!;
}

function residentId(d: Dice): Written {
  const id = residentIdValue(d);
  switch (d.below(7)) {
    case 0:
    case 1:
      return { text: id, form: 'resident ID plain' };
    case 2:
      return { text: id.replace(/X$/, 'x'), form: 'resident ID lower-case x' };
    case 3:
      return { text: `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`, form: 'resident ID 6-8-4' };
    case 4:
      return { text: fullWidth(id), form: 'resident ID full-width' };
    case 5:
      return {
        text: `${id.slice(0, 6)} ${id.slice(6, 10)} ${id.slice(10, 14)} ${id.slice(14)}`,
        form: 'resident ID 6-4-4-4',
      };
    default:
      return { text: `${id.slice(0, 10)}\n${id.slice(10)}`, form: 'resident ID line break' };
  }
}

function cardNumber(d: Dice, validCheck = true): { digits: string; network: string } {
  const network = d.one(['unionpay', 'unionpay', 'visa', 'mastercard', 'mastercard2', 'amex', 'jcb']);
  const [prefix, length] =
    network === 'unionpay'
      ? [`62${d.one(['22', '28', '17', '58', '12'])}`, d.one([16, 19])]
      : network === 'visa'
        ? ['4', 16]
        : network === 'mastercard'
          ? [`5${d.range(1, 5)}`, 16]
          : network === 'mastercard2'
            ? [String(d.range(2221, 2720)), 16]
            : network === 'amex'
              ? [d.one(['34', '37']), 15]
              : [String(d.range(3528, 3589)), 16];
  const payload = prefix + d.digits(length - prefix.length - 1);
  const check = luhnDigit(payload);
  return { digits: payload + (validCheck ? check : String((Number(check) + d.range(1, 9)) % 10)), network };
}

function bankCard(d: Dice): Written {
  const { digits, network } = cardNumber(d);
  const sizes = network === 'amex' ? [4, 6, 5] : [4, 4, 4, 4];
  const parts = split(digits, sizes);
  switch (d.below(6)) {
    case 0:
      return { text: digits, form: `${network} plain` };
    case 1:
      return { text: parts.join(' '), form: `${network} spaced` };
    case 2:
      return { text: parts.join('-'), form: `${network} dashed` };
    case 3:
      return { text: fullWidth(parts.join(' ')), form: `${network} full-width` };
    case 4:
      return {
        text: `${parts.slice(0, 2).join(' ')}\n${parts.slice(2).join(' ')}`,
        form: `${network} line break`,
      };
    default:
      return { text: parts.join('\u3000'), form: `${network} ideographic space` };
  }
}

/** ISO 13616 registry: country, and its BBAN as n (digits) / a (capitals) / c (alphanumerics) runs. */
const IBAN_FORMATS: readonly [string, string][] = [
  ['DE', '18n'],
  ['GB', '4a,14n'],
  ['FR', '10n,11c,2n'],
  ['NL', '4a,10n'],
  ['ES', '20n'],
  ['IT', '1a,10n,12c'],
  ['CH', '5n,12c'],
  ['BE', '12n'],
  ['AT', '16n'],
  ['PL', '24n'],
  ['AE', '3n,16n'],
  ['SA', '2n,18c'],
];

function iban(d: Dice): Written {
  const [country, format] = d.one(IBAN_FORMATS);
  let bban = '';
  for (const run of format.split(',')) {
    const n = Number(run.slice(0, -1));
    const type = run.at(-1);
    for (let i = 0; i < n; i++)
      bban +=
        type === 'n' ? d.digits(1) : type === 'a' ? d.upper(1) : d.chance(0.7) ? d.digits(1) : d.upper(1);
  }
  const value = country + ibanDigits(country, bban) + bban;
  const grouped = split(value, Array(9).fill(4)).join(' ');
  switch (d.below(4)) {
    case 0:
      return { text: value, form: 'IBAN electronic' };
    case 1:
    case 2:
      return { text: grouped, form: 'IBAN print' };
    default:
      return { text: grouped.replace(/ /g, '\u00a0'), form: 'IBAN print nbsp' };
  }
}

function ipv4(d: Dice): Written {
  const first = d.one([10, 172, 192, 203, 198, 100, 58, 114, 220, d.range(1, 223)]);
  const value = `${first}.${d.range(0, 255)}.${d.range(0, 255)}.${d.range(1, 254)}`;
  return { text: value, form: 'IPv4' };
}

function ipv6(d: Dice): Written {
  const group = () => d.hex(d.range(1, 4)).replace(/^0+(?=.)/, '');
  switch (d.below(5)) {
    case 0:
      return { text: Array.from({ length: 8 }, group).join(':'), form: 'IPv6 full' };
    case 1:
      return { text: `2001:db8::${group()}:${group()}`, form: 'IPv6 compressed' };
    case 2:
      return { text: `fe80::${group()}:${group()}:${group()}:${group()}`, form: 'IPv6 link-local' };
    case 3:
      return { text: `2408:${group()}:${group()}::${group()}`, form: 'IPv6 compressed middle' };
    default:
      return {
        text: `::ffff:${d.range(1, 223)}.${d.range(0, 255)}.${d.range(0, 255)}.${d.range(1, 254)}`,
        form: 'IPv6 mapped IPv4',
      };
  }
}

function passport(d: Dice): Written {
  switch (d.below(5)) {
    case 0:
    case 1:
      return { text: `E${d.digits(8)}`, form: 'CN passport E+8' };
    case 2:
      return { text: `G${d.digits(8)}`, form: 'CN passport G+8' };
    case 3:
      return { text: `${d.one(['H', 'M'])}${d.digits(8)}`, form: 'HK/Macau home-return permit' };
    default:
      return {
        text: `E${d.one([...'ABCDEFGHJKLMNPQRSTUVWXY'])}${d.digits(7)}`,
        form: 'CN passport E+letter+7',
      };
  }
}

function drivingLicence(d: Dice): Written {
  return { text: `${d.upper(2)}${d.digits(7)}`, form: 'licence 2 capitals + 7 digits' };
}

const STREETS_EN = [
  'Maple',
  'Oak',
  'Elm',
  'Harbour',
  'Kingsway',
  'Baker',
  'Sunset',
  'Lincoln',
  'Cedar',
  'Victoria',
];
const ROADS_ZH = ['中山', '人民', '解放', '建国', '长安', '淮海', '深南', '延安', '学院', '滨江'];
const CITIES_ZH: readonly [string, string][] = [
  ['北京市', '朝阳区'],
  ['上海市', '徐汇区'],
  ['广东省深圳市', '南山区'],
  ['浙江省杭州市', '西湖区'],
  ['四川省成都市', '武侯区'],
  ['江苏省南京市', '鼓楼区'],
];

function streetAddress(d: Dice): Written {
  if (d.chance(0.5)) {
    const [city, district] = d.one(CITIES_ZH);
    const road = d.one(ROADS_ZH) + d.one(['路', '大街', '大道', '东路', '北路']);
    const unit = d.chance(0.5) ? `${d.range(1, 30)}栋${d.range(1, 30)}0${d.range(1, 9)}室` : '';
    return { text: `${city}${district}${road}${d.range(1, 999)}号${unit}`, form: 'CN address' };
  }
  const type = d.one(['Street', 'St.', 'Avenue', 'Ave', 'Road', 'Rd', 'Boulevard', 'Lane', 'Drive']);
  const apt = d.chance(0.3)
    ? `, ${d.one(['Apt', 'Suite', 'Unit'])} ${d.range(1, 40)}${d.one(['', 'B', 'C'])}`
    : '';
  return { text: `${d.range(1, 9999)} ${d.one(STREETS_EN)} ${type}${apt}`, form: 'EN address' };
}

const FIRST = [
  'li.na',
  'wang.wei',
  'zhang_san',
  'j.smith',
  'maria.garcia',
  'chen88',
  'liu.yang',
  'a.kumar',
  'olivia',
  'zhao.lei',
];
const DOMAINS = [
  'example.com',
  'qq.com',
  '163.com',
  'mail.example.co.uk',
  'corp.example.cn',
  'gmail.com',
  'outlook.com',
  'uni-example.edu',
  'foxmail.com',
];

function email(d: Dice): Written {
  let local = d.one(FIRST);
  const roll = d.below(6);
  if (roll === 0) local = `${local}+${d.one(['news', 'billing', 'ml'])}`;
  if (roll === 1) local = d.digits(d.range(6, 10)).replace(/^0/, '1');
  if (roll === 2) local = local.toUpperCase();
  if (roll === 3) local = `${local}${d.range(1, 99)}`;
  return { text: `${local}@${d.one(DOMAINS)}`, form: roll === 1 ? 'email numeric (QQ)' : 'email' };
}

const MAKERS: Record<PiiKind, (d: Dice) => Written> = {
  email,
  phone,
  ssn,
  cn_resident_id: residentId,
  bank_card: bankCard,
  iban,
  ipv4,
  ipv6,
  passport,
  driving_licence: drivingLicence,
  street_address: streetAddress,
};

// ---- look-alikes that must be kept ----

function lookAlike(d: Dice): { category: string; text: string } {
  switch (d.below(30)) {
    case 0: {
      const serial = d.digits(8);
      return {
        category: 'tracking number (UPU S10)',
        text: `${d.one(['EA', 'EE', 'RR', 'CP', 'LZ'])}${serial}${s10Digit(serial)}${d.one(['CN', 'HK', 'US', 'GB'])}`,
      };
    }
    case 1:
      return {
        category: 'tracking number (SF/JD/YT)',
        text: `${d.one(['SF', 'JDV', 'YT', 'JT'])}${d.digits(d.range(12, 13))}`,
      };
    case 2:
      return { category: 'tracking number (UPS)', text: `1Z${d.upper(3)}${d.digits(3)}${d.digits(10)}` };
    case 3:
      return {
        category: 'tracking number (FedEx 12)',
        text: `7${d.digits(3)} ${d.digits(4)} ${d.digits(4)}`,
      };
    case 4:
      return {
        category: 'bank reference (SWIFT BIC)',
        text: `${d.upper(4)}${d.one(['CN', 'DE', 'GB', 'HK'])}${d.upper(2)}${d.chance(0.5) ? 'XXX' : ''}`,
      };
    case 5:
      return {
        category: 'bank reference (long serial)',
        text: `${d.one(['42', '40', '10'])}${d.digits(26)}`,
      };
    case 6:
      return {
        category: 'bank reference (FT code)',
        text: `FT${d.digits(5)}${d.upper(2)}${d.digits(1)}${d.upper(2)}`,
      };
    case 7:
      return {
        category: 'bank reference (E2E id)',
        text: `E2E-${2026}${zeroPad(d.range(1, 12), 2)}${zeroPad(d.range(1, 28), 2)}-${d.digits(6)}`,
      };
    case 8:
      return {
        category: 'timestamp ISO 8601',
        text: `2026-${zeroPad(d.range(1, 12), 2)}-${zeroPad(d.range(1, 28), 2)}T${zeroPad(d.range(0, 23), 2)}:${zeroPad(d.range(0, 59), 2)}:${zeroPad(d.range(0, 59), 2)}${d.one(['Z', '+08:00', '.123Z', '-05:00'])}`,
      };
    case 9:
      return { category: 'timestamp epoch', text: d.chance(0.5) ? `17${d.digits(8)}` : `17${d.digits(11)}` };
    case 10:
      return {
        category: 'timestamp compact',
        text: `20${d.range(10, 26)}${zeroPad(d.range(1, 12), 2)}${zeroPad(d.range(1, 28), 2)}${zeroPad(d.range(0, 23), 2)}${zeroPad(d.range(0, 59), 2)}${zeroPad(d.range(0, 59), 2)}`,
      };
    case 11:
      return {
        category: 'timestamp zh',
        text: `${d.range(2000, 2026)}年${d.range(1, 12)}月${d.range(1, 28)}日 ${zeroPad(d.range(0, 23), 2)}:${zeroPad(d.range(0, 59), 2)}`,
      };
    case 12:
      return {
        category: 'hex id (UUID)',
        text: `${d.hex(8)}-${d.hex(4)}-4${d.hex(3)}-${d.one(['8', '9', 'a', 'b'])}${d.hex(3)}-${d.hex(12)}`,
      };
    case 13:
      return { category: 'hex id (sha / object id)', text: d.hex(d.one([7, 12, 24, 40])) };
    case 14:
      return {
        category: 'hex id (MAC address)',
        text: Array.from({ length: 6 }, () => d.hex(2)).join(d.one([':', '-'])),
      };
    case 15:
      return { category: 'hex id (0x)', text: `0x${d.hex(d.one([8, 12, 16]))}` };
    case 16:
      return {
        category: 'version',
        text: `${d.one(['v', 'version ', 'Version ', 'ver. ', 'build ', 'firmware '])}${d.range(0, 20)}.${d.range(0, 30)}.${d.range(0, 99)}${d.chance(0.4) ? `.${d.range(0, 250)}` : ''}`,
      };
    case 17:
      return {
        category: 'version (user agent)',
        text: `${d.one(['Chrome', 'Firefox', 'Safari', 'Edg'])}/${d.range(90, 130)}.0.${d.range(1000, 6999)}.${d.range(10, 220)}`,
      };
    case 18:
      return {
        category: 'dose',
        text: `${d.one(['0.25', '0.5', '1', '2.5', '10', '250', '500'])}${d.one([' mg', 'mg', ' mg/kg', ' mL', ' μg', ' IU', 'g', ' mmol/L'])}`,
      };
    case 19:
      return {
        category: 'dose (zh)',
        text: `${d.one(['阿莫西林', '布洛芬', '二甲双胍', '头孢克肟'])} ${d.one(['0.25', '0.5', '1', '200'])}${d.one(['g', 'mg'])} 每日${d.range(1, 3)}次`,
      };
    case 20:
      return {
        category: 'statute number',
        text: d.one([
          `第${d.one(['一千零三十四', '二百六十四', '十七', '一百二十三'])}条`,
          `第 ${d.range(1, 1260)} 条`,
          `Art. ${d.range(1, 99)}(${d.range(1, 4)}) GDPR`,
          `§ ${d.range(1, 2385)} Abs. ${d.range(1, 3)} BGB`,
          `${d.range(5, 50)} U.S.C. § ${d.range(100, 9999)}`,
        ]),
      };
    case 21:
      return {
        category: 'standard number',
        text: d.one([
          `GB/T ${d.range(10000, 39999)}-${d.range(2000, 2024)}`,
          `ISO/IEC ${d.range(1000, 29999)}:${d.range(2005, 2024)}`,
          `RFC ${d.range(791, 9999)}`,
        ]),
      };
    case 22:
      return {
        category: 'case number (zh)',
        text: `(${d.range(2015, 2026)})${d.one(['京', '沪', '粤', '浙'])}${zeroPad(d.range(1, 120), 4)}${d.one(['民初', '刑初', '民终'])}${d.range(100, 99999)}号`,
      };
    case 23: {
      const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
      let organisation = '';
      for (let i = 0; i < 9; i++)
        organisation += d.chance(0.8) ? d.digits(1) : d.one([...alphabet.slice(10)]);
      const first17 = `91${d.one(REGION_CODES)}${organisation}`;
      return { category: 'credit code (GB 32100)', text: first17 + creditCodeCheck(first17) };
    }
    case 24:
      return { category: 'resident ID, wrong check', text: residentIdValue(d, false) };
    case 25:
      return {
        category: 'card, wrong Luhn',
        text: split(cardNumber(d, false).digits, [4, 4, 4, 4]).join(' '),
      };
    case 26:
      return {
        category: 'amount',
        text: d.one([
          `¥${d.range(1, 999)},${d.digits(3)}.${d.digits(2)}`,
          `USD ${d.range(1, 99)},${d.digits(3)}.00`,
          `${d.range(1, 999)}万元`,
        ]),
      };
    case 27:
      return {
        category: 'coordinates',
        text: `${d.range(20, 45)}.${d.digits(4)}, ${d.range(100, 125)}.${d.digits(4)}`,
      };
    case 28:
      return {
        category: 'OID / section number',
        text: d.one([
          `1.3.6.1.4.1.${d.range(1, 60000)}`,
          `2.16.840.1.${d.range(100000, 119999)}`,
          `§${d.range(1, 9)}.${d.range(1, 9)}.${d.range(1, 9)}.${d.range(1, 9)}.${d.range(1, 9)}`,
        ]),
      };
    default:
      return { category: 'masked card', text: `${d.one(['6222', '4111', '5412'])} **** **** ${d.digits(4)}` };
  }
}

// ---- assembling records ----

class Writer {
  text = '';
  readonly spans: HeldOutSpan[] = [];
  readonly lookAlikes: HeldOutLookAlike[] = [];
  put(text: string): this {
    this.text += text;
    return this;
  }
  pii(kind: PiiKind, written: Written): this {
    const start = this.text.length;
    this.text += written.text;
    this.spans.push({ kind, start, end: this.text.length, text: written.text, form: written.form });
    return this;
  }
  alike(value: { category: string; text: string }): this {
    const start = this.text.length;
    this.text += value.text;
    this.lookAlikes.push({ category: value.category, start, end: this.text.length, text: value.text });
    return this;
  }
  done(): HeldOutRecord {
    return { text: this.text, spans: this.spans, lookAlikes: this.lookAlikes };
  }
}

const NAMES_ZH = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨帆', '赵磊', '黄敏'];
const NAMES_EN = ['Alice Chen', 'Bob Martin', 'Priya Nair', 'Tom Becker', 'Sara Lopez', 'Ken Watanabe'];

/** Words a person would write before a value of each kind (used in about half the sentences). */
const LABELS: Record<PiiKind, { zh: readonly string[]; en: readonly string[] }> = {
  email: { zh: ['邮箱', '电子邮件', 'Email'], en: ['email', 'e-mail', 'mail me at'] },
  phone: { zh: ['手机', '电话', '联系电话', '手机号码', 'Tel'], en: ['phone', 'tel.', 'call', 'mobile'] },
  ssn: { zh: ['社会安全号', 'SSN'], en: ['SSN', 'social security no.'] },
  cn_resident_id: { zh: ['身份证号', '身份证号码', '公民身份号码'], en: ['ID card no.', 'resident ID'] },
  bank_card: { zh: ['银行卡号', '卡号', '收款账户'], en: ['card number', 'card'] },
  iban: { zh: ['IBAN', '国际银行账号'], en: ['IBAN', 'account'] },
  ipv4: { zh: ['IP地址', '登录IP'], en: ['IP', 'from address', 'client'] },
  ipv6: { zh: ['IPv6地址', '登录IP'], en: ['IPv6', 'client'] },
  passport: { zh: ['护照号', '护照号码', '证件号'], en: ['passport no.', 'passport'] },
  driving_licence: { zh: ['驾驶证号', '驾照'], en: ["driver's licence", 'licence no.'] },
  street_address: { zh: ['住址', '收货地址', '地址'], en: ['lives at', 'ship to', 'address'] },
};

const KINDS = Object.keys(MAKERS) as PiiKind[];
/** How often each kind is drawn: common kinds more often, as in real text. */
const WEIGHTS: Record<PiiKind, number> = {
  email: 4,
  phone: 6,
  ssn: 1,
  cn_resident_id: 3,
  bank_card: 3,
  iban: 2,
  ipv4: 2,
  ipv6: 1,
  passport: 2,
  driving_licence: 1,
  street_address: 2,
};
const WEIGHTED = KINDS.flatMap((kind) => Array<PiiKind>(WEIGHTS[kind]).fill(kind));

type Template = (w: Writer, d: Dice) => void;

/** What comes between a label and its value: Chinese labels may touch it, Latin ones are set apart. */
function labelEnd(d: Dice, label: string): string {
  return /[A-Za-z.]$/.test(label) ? d.one(['：', ': ', ' ', '：']) : d.one(['：', '是', ' ', '']);
}

function labelFor(d: Dice, kind: PiiKind, zh: boolean): string | undefined {
  if (d.chance(0.5)) return undefined;
  return d.one(zh ? LABELS[kind].zh : LABELS[kind].en);
}

/** A value of `kind`; phones sometimes get an extension after them (outside the span). */
function value(w: Writer, d: Dice, kind: PiiKind): void {
  const written = MAKERS[kind](d);
  w.pii(kind, written);
  if (kind === 'phone' && d.chance(0.15) && !written.text.includes('\n')) w.put(extension(d));
}

const TEMPLATES: readonly Template[] = [
  // Chinese prose, the value right against Chinese characters, full-width punctuation.
  (w, d) => {
    const kind = d.one(WEIGHTED);
    const label = labelFor(d, kind, true);
    w.put(
      `${d.one(NAMES_ZH)}${d.one(['说', '留下了', '补充了', '登记的'])}${label ? label + labelEnd(d, label) : ''}`,
    );
    value(w, d, kind);
    w.put(`${d.one(['，', '。', '；', '，请核对', '，已确认。'])}参考`);
    w.alike(lookAlike(d));
    w.put('。');
  },
  // English prose with a look-alike first.
  (w, d) => {
    w.put(`${d.one(['Ticket', 'Note', 'Update'])}: ${d.one(['shipped', 'logged', 'seen'])} `);
    w.alike(lookAlike(d));
    const kind = d.one(WEIGHTED);
    const label = labelFor(d, kind, false);
    w.put(`; ${d.one(NAMES_EN)} ${label ? `gave ${label} ` : 'wrote '}`);
    value(w, d, kind);
    w.put(d.one(['.', ' - thanks!', ', see above.', ' (verified)']));
  },
  // CSV with a header line.
  (w, d) => {
    const a = d.one(WEIGHTED);
    const b = d.one(WEIGHTED);
    w.put(`name,contact,secondary,ref\n${d.one(NAMES_EN)},`);
    value(w, d, a);
    w.put(',"');
    value(w, d, b);
    w.put('",');
    w.alike(lookAlike(d));
    w.put('\n');
  },
  // JSON.
  (w, d) => {
    const kind = d.one(WEIGHTED);
    w.put(`{"user":"${d.one(NAMES_EN)}","${kind === 'phone' ? 'tel' : 'value'}":"`);
    w.pii(kind, MAKERS[kind](d));
    w.put('","trace":"');
    w.alike(lookAlike(d));
    w.put('","at":"');
    w.alike(lookAlike(d));
    w.put('"}');
  },
  // Markdown table row, full-width or ASCII pipes.
  (w, d) => {
    const kind = d.one(WEIGHTED);
    w.put(`| ${d.one(NAMES_ZH)} | `);
    value(w, d, kind);
    w.put(' | ');
    w.alike(lookAlike(d));
    w.put(' |');
  },
  // A form with full-width colons and ideographic spaces.
  (w, d) => {
    const kind = d.one(WEIGHTED);
    w.put(`姓名：${d.one(NAMES_ZH)}\u3000${d.one(LABELS[kind].zh)}：`);
    value(w, d, kind);
    w.put('\u3000备注：');
    w.alike(lookAlike(d));
  },
  // A log line.
  (w, d) => {
    w.put(`2026-12-0${d.range(1, 7)} 0${d.range(0, 9)}:${d.range(10, 59)}:${d.range(10, 59)} INFO login ok `);
    const kind = d.one(['ipv4', 'ipv6', 'email', d.one(WEIGHTED)] as const);
    w.put(kind === 'ipv4' || kind === 'ipv6' ? 'remote=' : 'subject=');
    w.pii(kind, MAKERS[kind](d));
    w.put(' req=');
    w.alike(lookAlike(d));
  },
  // URLs and angle-bracket addresses.
  (w, d) => {
    const roll = d.below(4);
    if (roll === 0) {
      w.put(`退订请访问 https://news.example.com/unsubscribe?email=`);
      w.pii('email', email(d));
      w.put(`&t=${d.hex(12)} 谢谢`);
    } else if (roll === 1) {
      w.put(`Reply to ${d.one(NAMES_EN)} <`);
      w.pii('email', email(d));
      w.put('> about ');
      w.alike(lookAlike(d));
    } else if (roll === 2) {
      w.put('Open http://');
      const ip = ipv4(d);
      w.pii('ipv4', ip);
      w.put(`:${d.range(1024, 65535)}/admin or http://[`);
      w.pii('ipv6', ipv6(d));
      w.put(`]:8080/ (${d.one(['dev', 'prod'])})`);
    } else {
      w.put('<a href="mailto:');
      const e = email(d);
      w.pii('email', e);
      w.put('">');
      w.pii('email', e);
      w.put('</a>');
    }
  },
  // An e-mail signature over several lines.
  (w, d) => {
    w.put(`--\n${d.one(NAMES_EN)}\n${d.one(['T', 'Tel', 'M', 'Mobile', '电话'])}: `);
    w.pii('phone', phone(d));
    if (d.chance(0.3)) w.put(extension(d));
    w.put('\n');
    if (d.chance(0.5)) {
      w.pii('street_address', streetAddress(d));
      w.put('\n');
    }
    w.alike(lookAlike(d));
  },
  // Look-alikes only, in mixed prose.
  (w, d) => {
    w.put(`${d.one(['订单', '批次', 'Release', '处方', '快递'])}`);
    w.put(d.one([' ', '：', ': ']));
    w.alike(lookAlike(d));
    w.put(d.one(['，', ', ', ' 和 ', ' / ']));
    w.alike(lookAlike(d));
    w.put(d.one(['。', '.', '']));
  },
];

/** `count` records from `seed`; the same arguments always give the same corpus. */
export function generateHeldOutCorpus(count: number, seed = 15_2026): HeldOutRecord[] {
  const d = new Dice(seed);
  const out: HeldOutRecord[] = [];
  for (let i = 0; i < count; i++) {
    const w = new Writer();
    d.one(TEMPLATES)(w, d);
    out.push(w.done());
  }
  return out;
}
