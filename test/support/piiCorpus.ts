/**
 * A labelled mixed Chinese/English corpus for measuring the PII recognisers, built from the
 * identifiers' own definitions (check digits computed here, never by src/data/pii) and labelled
 * while the text is assembled. Half the embedded values are identifiers, most of them written bare
 * (no "passport" or "phone" next to them) in many separator styles; the other half are look-alikes
 * that must be kept: dates, times, order and invoice numbers, versions, valid ISBN-13s, doses, hex
 * hashes, resident IDs and cards with a wrong check digit, statute numbers. Shared by the accuracy
 * test and `npm run bench -- pii`.
 */
import type { PiiKind } from '../../src/data/pii/index.js';

export interface CorpusSpan {
  readonly kind: PiiKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Written without a word naming its kind next to it. */
  readonly bare: boolean;
}

export interface CorpusRecord {
  readonly text: string;
  /** The identifiers in the text; look-alikes are not labelled. */
  readonly spans: readonly CorpusSpan[];
  /** How many look-alikes the text holds (they must survive redaction). */
  readonly lookAlikes: number;
}

type Rng = () => number;

function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const digits = (rng: Rng, n: number): string =>
  Array.from({ length: n }, () => String(int(rng, 0, 9))).join('');
const pad = (value: number, width: number): string => String(value).padStart(width, '0');
const letters = (rng: Rng, n: number, from = 'ABCDEFGHJKLMNPRSTUVWXYZ'): string =>
  Array.from({ length: n }, () => pick(rng, [...from])).join('');

function groups(text: string, sizes: readonly number[], sep: string): string {
  const out: string[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(text.slice(at, at + size));
    at += size;
  }
  if (at < text.length) out.push(text.slice(at));
  return out.join(sep);
}

// ---- check digits, from their standards ----

function luhnCheck(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

function ibanCheck(country: string, bban: string): string {
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55));
  let rest = 0;
  for (const ch of numeric) rest = (rest * 10 + Number(ch)) % 97;
  return pad(98 - rest, 2);
}

const GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const GB11643_CHECK = '10X98765432';

function residentIdCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * GB11643_WEIGHTS[i]!;
  return GB11643_CHECK[sum % 11]!;
}

function isbn13(rng: Rng): string {
  const body = `978${pick(rng, ['7', '0', '1', '3'])}${digits(rng, 8)}`;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body[i]) * (i % 2 === 0 ? 1 : 3);
  return body + String((10 - (sum % 10)) % 10);
}

// ---- identifiers ----

const REGIONS = ['110105', '310104', '440305', '510107', '330106', '420102', '610113', '320581', '370202'];

function residentIdBody(rng: Rng): string {
  return `${pick(rng, REGIONS)}${int(rng, 1940, 2010)}${pad(int(rng, 1, 12), 2)}${pad(int(rng, 1, 28), 2)}${digits(rng, 3)}`;
}

function writeResidentId(id: string, rng: Rng): string {
  switch (int(rng, 0, 3)) {
    case 0:
      return `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`;
    case 1:
      return `${id.slice(0, 6)} ${id.slice(6, 10)} ${id.slice(10, 14)} ${id.slice(14)}`;
    case 2:
      return rng() < 0.5 ? id.toLowerCase() : `${id.slice(0, 6)}-${id.slice(6, 14)}-${id.slice(14)}`;
    default:
      return id;
  }
}

function residentId(rng: Rng): string {
  const body = residentIdBody(rng);
  return writeResidentId(body + residentIdCheck(body), rng);
}

function cardDigits(rng: Rng): { number: string; sizes: number[] } {
  const [prefix, length, sizes] = pick<[string, number, number[]]>(rng, [
    ['4', 16, [4, 4, 4, 4]],
    [`5${int(rng, 1, 5)}`, 16, [4, 4, 4, 4]],
    ['62', 16, [4, 4, 4, 4]],
    ['62', 19, [6, 13]],
    ['37', 15, [4, 6, 5]],
    ['6011', 16, [4, 4, 4, 4]],
  ]);
  const payload = prefix + digits(rng, length - prefix.length - 1);
  return { number: payload + String(luhnCheck(payload)), sizes };
}

function writeCard(number: string, sizes: readonly number[], rng: Rng): string {
  const style = int(rng, 0, 2);
  return style === 0 ? number : groups(number, sizes, style === 1 ? ' ' : '-');
}

function bankCard(rng: Rng): string {
  const { number, sizes } = cardDigits(rng);
  return writeCard(number, sizes, rng);
}

function iban(rng: Rng): string {
  const [country, bban] = pick<[string, string]>(rng, [
    ['DE', digits(rng, 18)],
    ['GB', `${letters(rng, 4)}${digits(rng, 14)}`],
    ['FR', `${digits(rng, 10)}${letters(rng, 1)}${digits(rng, 12)}`],
    ['NL', `${letters(rng, 4)}${digits(rng, 10)}`],
  ]);
  const compact = `${country}${ibanCheck(country, bban)}${bban}`;
  return rng() < 0.5 ? compact : (compact.match(/.{1,4}/g) ?? []).join(' ');
}

function cnMobile(rng: Rng): string {
  const m = `1${pick(rng, ['3', '5', '7', '8', '9'])}${digits(rng, 9)}`;
  switch (int(rng, 0, 6)) {
    case 0:
      return m;
    case 1:
      return groups(m, [3, 4, 4], ' ');
    case 2:
      return groups(m, [3, 4, 4], '-');
    case 3:
      return groups(m, [3, 4, 4], '.');
    case 4:
      return `+86 ${groups(m, [3, 4, 4], ' ')}`;
    case 5:
      return `(+86) ${m}`;
    default:
      return `+86-${m}`;
  }
}

function cnLandline(rng: Rng): string {
  const area = pick(rng, ['010', '021', '020', '022', '0755', '0571', '028', '0512']);
  const local =
    area.length === 3 ? `${int(rng, 2, 8)}${digits(rng, 7)}` : `${int(rng, 2, 8)}${digits(rng, 7)}`;
  switch (int(rng, 0, 5)) {
    case 0:
      return `(${area}) ${local}`;
    case 1:
      return `${area}-${groups(local, [4, 4], ' ')}`;
    case 2:
      return `${area}-${local}`;
    case 3:
      return `${area} ${groups(local, [4, 4], ' ')}`;
    case 4:
      return `+86 ${area.slice(1)} ${groups(local, [4, 4], ' ')}`;
    default:
      return `(${area})${local}`;
  }
}

function northAmerican(rng: Rng): string {
  const a = `${int(rng, 2, 9)}${digits(rng, 2)}`;
  const b = `${int(rng, 2, 9)}${digits(rng, 2)}`;
  const c = digits(rng, 4);
  switch (int(rng, 0, 6)) {
    case 0:
      return `${a}.${b}.${c}`;
    case 1:
      return `${a}-${b}-${c}`;
    case 2:
      return `(${a}) ${b}-${c}`;
    case 3:
      return `${a} ${b} ${c}`;
    case 4:
      return `+1 ${a} ${b} ${c}`;
    case 5:
      return `1-${a}-${b}-${c}`;
    default:
      return `${a}${b}${c}`;
  }
}

function international(rng: Rng): string {
  return pick(rng, [
    `+44 20 ${digits(rng, 4)} ${digits(rng, 4)}`,
    `+49 30 ${digits(rng, 7)}`,
    `+33 1 ${digits(rng, 2)} ${digits(rng, 2)} ${digits(rng, 2)} ${digits(rng, 2)}`,
    `+852 ${int(rng, 5, 9)}${digits(rng, 3)} ${digits(rng, 4)}`,
  ]);
}

function phone(rng: Rng): string {
  const roll = rng();
  return roll < 0.35
    ? cnMobile(rng)
    : roll < 0.6
      ? cnLandline(rng)
      : roll < 0.9
        ? northAmerican(rng)
        : international(rng);
}

function ssn(rng: Rng): string {
  let area = int(rng, 1, 899);
  if (area === 666) area = 665;
  return `${pad(area, 3)}-${pad(int(rng, 1, 99), 2)}-${pad(int(rng, 1, 9999), 4)}`;
}

/** Passports and permits that identify bare: Chinese passports, Mainland travel permits of HK/Macau residents. */
function passportBare(rng: Rng): string {
  return rng() < 0.6
    ? `${pick(rng, ['E', 'G'])}${digits(rng, 8)}`
    : `${pick(rng, ['C', 'H', 'M'])}${digits(rng, 8)}`;
}

/** Formats that need a passport word: nine digits, a letter and eight digits, two letters and seven. */
function passportWithContext(rng: Rng): string {
  return pick(rng, [
    () => `${int(rng, 1, 9)}${digits(rng, 8)}`,
    () => `${letters(rng, 1, 'KLNPSTX')}${digits(rng, 8)}`,
    () => `E${letters(rng, 1, 'ABCDEFGH')}${digits(rng, 7)}`,
  ])();
}

function licenceBare(rng: Rng): string {
  return rng() < 0.75
    ? `${letters(rng, 2)}${digits(rng, 7)}`
    : `${letters(rng, 1)}${digits(rng, 3)}-${digits(rng, 4)}-${digits(rng, 4)}`;
}

function licenceWithContext(rng: Rng): string {
  return rng() < 0.5 ? `${letters(rng, 1)}${digits(rng, 7)}` : `${letters(rng, 1)}${digits(rng, 12)}`;
}

function email(rng: Rng): string {
  const user = pick(rng, [
    'zhang.wei',
    'li_na',
    'john.smith',
    'wangfang88',
    'a.garcia',
    'chen+hr',
    'm.okafor',
  ]);
  const domain = pick(rng, [
    'example.com',
    'qq.com',
    '163.com',
    'mail.example.org',
    'hospital.cn',
    'uni-heidelberg.de',
  ]);
  return `${user}@${domain}`;
}

function ip(rng: Rng): { kind: PiiKind; value: string } {
  if (rng() < 0.6) {
    return {
      kind: 'ipv4',
      value: [int(rng, 1, 223), int(rng, 0, 255), int(rng, 0, 255), int(rng, 1, 254)].join('.'),
    };
  }
  const hex = () => int(rng, 0, 0xffff).toString(16);
  return { kind: 'ipv6', value: `2001:db8:${hex()}::${hex()}:${hex()}` };
}

function address(rng: Rng, zh: boolean): string {
  if (zh) {
    const place = pick(rng, ['北京市朝阳区', '上海市徐汇区', '广东省广州市天河区', '浙江省宁波市鄞州区']);
    const road = pick(rng, ['建国路', '漕溪北路', '天河路', '中山东路']);
    return `${place}${road}${int(rng, 1, 999)}号${rng() < 0.5 ? `${int(rng, 1, 30)}栋${int(rng, 101, 2508)}室` : ''}`;
  }
  return `${int(rng, 1, 9999)} ${pick(rng, ['Maple', 'Harbor', 'Baker', 'Main', 'Cedar Hill'])} ${pick(rng, ['Street', 'Avenue', 'Road', 'Lane', 'Blvd.'])}`;
}

interface Identifier {
  readonly kind: PiiKind;
  readonly value: string;
  /** A word that names the kind, or undefined when the value stands bare. */
  readonly keyword?: { readonly zh: string; readonly en: string };
}

/** One identifier; about two thirds are written bare. */
function identifier(rng: Rng, zh: boolean): Identifier {
  const bare = rng() < 0.65;
  const roll = int(rng, 0, 11);
  switch (roll) {
    case 0:
    case 1:
      return { kind: 'phone', value: phone(rng), ...(bare ? {} : { keyword: { zh: '电话', en: 'phone' } }) };
    case 2:
      return {
        kind: 'cn_resident_id',
        value: residentId(rng),
        ...(bare ? {} : { keyword: { zh: '身份证号', en: 'ID no.' } }),
      };
    case 3:
      return bare
        ? { kind: 'passport', value: passportBare(rng) }
        : {
            kind: 'passport',
            value: rng() < 0.5 ? passportBare(rng) : passportWithContext(rng),
            keyword: { zh: '护照号码', en: 'passport number' },
          };
    case 4:
      return bare
        ? { kind: 'driving_licence', value: licenceBare(rng) }
        : {
            kind: 'driving_licence',
            value: rng() < 0.5 ? licenceBare(rng) : licenceWithContext(rng),
            keyword: { zh: '驾驶证号', en: "driver's license" },
          };
    case 5:
      return { kind: 'ssn', value: ssn(rng), ...(bare ? {} : { keyword: { zh: 'SSN', en: 'SSN' } }) };
    case 6:
      return {
        kind: 'bank_card',
        value: bankCard(rng),
        ...(bare ? {} : { keyword: { zh: '银行卡号', en: 'card' } }),
      };
    case 7:
      return { kind: 'iban', value: iban(rng), ...(bare ? {} : { keyword: { zh: '账户', en: 'IBAN' } }) };
    case 8:
      return { kind: 'email', value: email(rng), ...(bare ? {} : { keyword: { zh: '邮箱', en: 'email' } }) };
    case 9:
      return ip(rng);
    case 10:
      return { kind: 'street_address', value: address(rng, zh) };
    default:
      return { kind: 'phone', value: rng() < 0.5 ? cnMobile(rng) : northAmerican(rng) };
  }
}

// ---- look-alikes: structured numbers that identify nobody ----

const MONTHS = ['January', 'March', 'May', 'July', 'September', 'November'];

function lookAlike(rng: Rng, zh: boolean): string {
  const y = int(rng, 1990, 2026);
  const m = int(rng, 1, 12);
  const d = int(rng, 1, 28);
  switch (int(rng, 0, 21)) {
    case 0:
      return `${y}-${pad(m, 2)}-${pad(d, 2)}`;
    case 1:
      return pick(rng, [
        `${pad(d, 2)}/${pad(m, 2)}/${y}`,
        `${pad(m, 2)}/${pad(d, 2)}/${y}`,
        `${pad(d, 2)}.${pad(m, 2)}.${y}`,
      ]);
    case 2:
      return zh ? `${y}年${m}月${d}日` : `${pick(rng, MONTHS)} ${d}, ${y}`;
    case 3:
      return pick(rng, [
        `${y}${pad(m, 2)}${pad(d, 2)}`,
        `${y}/${pad(m, 2)}/${pad(d, 2)}`,
        `${y}.${pad(m, 2)}.${pad(d, 2)}`,
      ]);
    case 4:
      return pick(rng, [
        `${pad(int(rng, 0, 23), 2)}:${pad(int(rng, 0, 59), 2)}`,
        `${pad(int(rng, 0, 23), 2)}:${pad(int(rng, 0, 59), 2)}:${pad(int(rng, 0, 59), 2)}`,
        `${y}-${pad(m, 2)}-${pad(d, 2)} ${pad(int(rng, 0, 23), 2)}:${pad(int(rng, 0, 59), 2)}`,
        `${y}-${pad(m, 2)}-${pad(d, 2)}T${pad(int(rng, 0, 23), 2)}:${pad(int(rng, 0, 59), 2)}:00Z`,
      ]);
    case 5:
      return pick(rng, [
        `INV-${y}-${pad(int(rng, 1, 999999), 6)}`,
        `PO-${digits(rng, 6)}`,
        `SO${y}${pad(m, 2)}${pad(d, 2)}${digits(rng, 4)}`,
        `ORD-${digits(rng, 8)}`,
      ]);
    case 6:
      return zh ? `订单号 ${y}${pad(m, 2)}${digits(rng, 10)}` : `order #${digits(rng, 10)}`;
    case 7:
      return zh ? `发票号码 ${digits(rng, 8)}` : `invoice no. ${digits(rng, 12)}`;
    case 8:
      return pick(rng, [
        `v${int(rng, 0, 9)}.${int(rng, 0, 20)}.${int(rng, 0, 99)}`,
        `${int(rng, 1, 9)}.${int(rng, 0, 30)}.${int(rng, 0, 9)}-beta.${int(rng, 1, 9)}`,
        `version ${int(rng, 1, 9)}.${int(rng, 0, 9)}.${int(rng, 0, 9)}.${int(rng, 0, 9999)}`,
      ]);
    case 9: {
      const isbn = isbn13(rng);
      return rng() < 0.5
        ? `ISBN ${isbn.slice(0, 3)}-${isbn[3]}-${isbn.slice(4, 7)}-${isbn.slice(7, 12)}-${isbn[12]}`
        : isbn;
    }
    case 10:
      return pick(rng, [
        `${pick(rng, [5, 50, 100, 250, 500, 1000])} mg`,
        `${int(rng, 1, 20)}.${int(rng, 0, 9)} mL`,
        `${int(rng, 1, 3)}x${pick(rng, [10, 20, 40])} mg`,
        zh
          ? `每日${int(rng, 1, 3)}次，每次${pick(rng, [250, 500])}毫克`
          : `${pick(rng, [250, 500])}mg twice daily`,
      ]);
    case 11: {
      const hex = (n: number) => Array.from({ length: n }, () => int(rng, 0, 15).toString(16)).join('');
      return pick(rng, [hex(7), hex(40), hex(64), `sha256:${hex(64)}`, hex(32).toUpperCase()]);
    }
    case 12: {
      const body = residentIdBody(rng);
      const good = residentIdCheck(body);
      const wrong = GB11643_CHECK[(GB11643_CHECK.indexOf(good) + int(rng, 1, 10)) % 11]!;
      return writeResidentId(body + wrong, rng);
    }
    case 13: {
      const { number, sizes } = cardDigits(rng);
      const wrong = (Number(number.at(-1)) + int(rng, 1, 9)) % 10;
      return writeCard(number.slice(0, -1) + String(wrong), sizes, rng);
    }
    case 14:
      return pick(rng, [
        `第 ${int(rng, 1, 999)} 条`,
        `第${int(rng, 1, 999)}条第${int(rng, 1, 9)}款`,
        `§ ${int(rng, 100, 9999)}`,
        `42 U.S.C. § ${int(rng, 1000, 9999)}`,
        `Article ${int(rng, 1, 99)}(${int(rng, 1, 9)})`,
      ]);
    case 15:
      return zh
        ? `金额 ¥${int(rng, 1, 999)},${digits(rng, 3)}.${digits(rng, 2)}`
        : `$${int(rng, 1, 999)},${digits(rng, 3)}.${digits(rng, 2)}`;
    case 16:
      return `${int(rng, 1, 99)}.${int(rng, 0, 9)}%`;
    case 17:
      return pick(rng, [
        `ZIP ${digits(rng, 5)}`,
        `邮编 ${int(rng, 1, 8)}${digits(rng, 5)}`,
        `Room ${int(rng, 101, 2508)}`,
      ]);
    case 18:
      return `${hexGroup(rng, 8)}-${hexGroup(rng, 4)}-4${hexGroup(rng, 3)}-a${hexGroup(rng, 3)}-${hexGroup(rng, 12)}`;
    case 19:
      return pick(rng, [
        `${int(rng, 10, 99)}.${digits(rng, 6)}, ${int(rng, 100, 179)}.${digits(rng, 6)}`,
        `${int(rng, 1, 40)} °C`,
      ]);
    case 20:
      return pick(rng, [
        `${int(rng, 1, 999)},${digits(rng, 3)},${digits(rng, 3)}`,
        `1.${digits(rng, 3)}.${digits(rng, 3)}`,
      ]);
    default:
      return `SKU-${digits(rng, 4)}-${digits(rng, 2)}`;
  }
}

function hexGroup(rng: Rng, n: number): string {
  return Array.from({ length: n }, () => int(rng, 0, 15).toString(16)).join('');
}

// ---- sentences ----

const FRAMES = {
  zh: [
    '资料：{}',
    '{}，已登记。',
    '王芳（{}）昨天来过',
    '见附件 {}。',
    '登记信息 {} 无误',
    '备注：{}，请核对',
    '他留下的是{}',
    '记录显示 {} 于上午处理',
  ],
  en: [
    'Record: {}',
    '{} was on the form.',
    'Attendee John Smith, {}, checked in.',
    'See the attached scan ({}).',
    'noted {} in the log',
    'Details: {} (confirmed)',
    'she wrote {} on the back',
    'The file lists {} twice.',
  ],
};

const FILLER = {
  zh: [
    '患者主诉头痛三天。',
    '合同于下周生效。',
    '请在24小时内回复。',
    '会议改到周四下午。',
    '本季度收入增长了12%。',
    '',
  ],
  en: [
    'The patient reports a headache for three days.',
    'Please reply within 24 hours.',
    'The meeting moved to Thursday.',
    '',
  ],
};

/** `count` records, deterministic for the seed, with as many look-alikes as identifiers overall. */
export function generatePiiCorpus(count: number, seed = 20261207): CorpusRecord[] {
  const rng = mulberry32(seed);
  const records: CorpusRecord[] = [];
  for (let r = 0; r < count; r++) {
    const zh = rng() < 0.5;
    const lang = zh ? 'zh' : 'en';
    let text = '';
    const spans: CorpusSpan[] = [];
    let lookAlikes = 0;
    const join = () => {
      if (text.length === 0) return;
      text += zh ? (/[。，；]$/.test(text) ? '' : '；') : /[.!?)]$/.test(text) ? ' ' : '; ';
    };
    const filler = pick(rng, FILLER[lang]);
    if (filler) text += filler;
    const pieces = int(rng, 1, 3);
    for (let i = 0; i < pieces; i++) {
      join();
      const frame = pick(rng, FRAMES[lang]);
      const [before, after] = frame.split('{}') as [string, string];
      if (rng() < 0.5) {
        const id = identifier(rng, zh);
        const label = id.keyword ? `${zh ? id.keyword.zh : id.keyword.en}${zh ? '：' : ': '}` : '';
        text += before + label;
        spans.push({
          kind: id.kind,
          start: text.length,
          end: text.length + id.value.length,
          text: id.value,
          bare: id.keyword === undefined,
        });
        text += id.value + after;
      } else {
        text += before + lookAlike(rng, zh) + after;
        lookAlikes++;
      }
    }
    records.push({ text: /[。.]$/.test(text) ? text : text + (zh ? '。' : '.'), spans, lookAlikes });
  }
  return records;
}
