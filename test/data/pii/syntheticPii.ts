/**
 * A labelled synthetic corpus for the PII recognisers, written without looking at them: every
 * value is built from its own definition (check digits computed here) and its position is recorded
 * while the text is assembled, so labels never come from a recogniser. Near-misses (order numbers,
 * dates, versions, MAC addresses, invalid check digits...) are mixed in unlabelled.
 */
export type GoldKind =
  | 'email'
  | 'phone'
  | 'ssn'
  | 'cn_resident_id'
  | 'bank_card'
  | 'iban'
  | 'ipv4'
  | 'ipv6'
  | 'passport'
  | 'driving_licence'
  | 'street_address';

export interface GoldSpan {
  readonly kind: GoldKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface LabelledRecord {
  readonly text: string;
  readonly spans: readonly GoldSpan[];
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
const upper = (rng: Rng, n: number): string =>
  Array.from({ length: n }, () => String.fromCharCode(65 + int(rng, 0, 25))).join('');

function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

function mod97(numeric: string): number {
  let rest = 0;
  for (const ch of numeric) rest = (rest * 10 + Number(ch)) % 97;
  return rest;
}

function ibanCheck(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55));
  return pad(98 - mod97(rearranged), 2);
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

function cnIdCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

function group(text: string, sizes: readonly number[], sep: string): string {
  const out: string[] = [];
  let at = 0;
  for (const size of sizes) {
    out.push(text.slice(at, at + size));
    at += size;
  }
  if (at < text.length) out.push(text.slice(at));
  return out.join(sep);
}

// ---- PII values ----

function email(rng: Rng): string {
  const first = pick(rng, [
    'zhang.wei',
    'li_na',
    'john.smith',
    'a.garcia',
    'wangfang88',
    'm.mueller',
    'chen+news',
    'k.tanaka',
    'liu.yang2020',
    'sarah_o',
  ]);
  const domain = pick(rng, [
    'example.com',
    'qq.com',
    '163.com',
    'mail.example.org',
    'company.co.uk',
    'hospital.cn',
    'gmail.com',
    'uni-heidelberg.de',
  ]);
  return `${first}${rng() < 0.3 ? digits(rng, 2) : ''}@${domain}`;
}

function cnMobile(rng: Rng): string {
  return `1${pick(rng, ['3', '5', '7', '8', '9'])}${digits(rng, 9)}`;
}

function phone(rng: Rng): string {
  const m = cnMobile(rng);
  switch (int(rng, 0, 11)) {
    case 0:
      return m;
    case 1:
      return group(m, [3, 4, 4], ' ');
    case 2:
      return group(m, [3, 4, 4], '-');
    case 3:
      return `+86 ${group(m, [3, 4, 4], ' ')}`;
    case 4:
      return `+86-${m}`;
    case 5:
      return `+1 ${int(rng, 201, 989)} ${int(rng, 200, 999)} ${digits(rng, 4)}`;
    case 6:
      return `+1 (${int(rng, 201, 989)}) ${int(rng, 200, 999)}-${digits(rng, 4)}`;
    case 7:
      return `(${int(rng, 201, 989)}) ${int(rng, 200, 999)}-${digits(rng, 4)}`;
    case 8:
      return `${int(rng, 201, 989)}-${int(rng, 200, 999)}-${digits(rng, 4)}`;
    case 9:
      return `+44 20 ${digits(rng, 4)} ${digits(rng, 4)}`;
    case 10:
      return `+49 30 ${digits(rng, 7)}`;
    default:
      return `0${pick(rng, ['10', '21', '755', '571'])}-${int(rng, 2, 8)}${digits(rng, 7)}`;
  }
}

function ssn(rng: Rng): string {
  let area = int(rng, 1, 899);
  if (area === 666) area = 665;
  return `${pad(area, 3)}-${pad(int(rng, 1, 99), 2)}-${pad(int(rng, 1, 9999), 4)}`;
}

function cnIdFirst17(rng: Rng): string {
  const region = pick(rng, ['110101', '310104', '440305', '510107', '330106', '420102', '610113', '320581']);
  const year = int(rng, 1950, 2008);
  const month = int(rng, 1, 12);
  const day = int(rng, 1, 28);
  return `${region}${year}${pad(month, 2)}${pad(day, 2)}${digits(rng, 3)}`;
}

function cnId(rng: Rng): string {
  const first = cnIdFirst17(rng);
  return first + cnIdCheck(first);
}

function cardNumber(rng: Rng): { number: string; sizes: number[] } {
  const kind = int(rng, 0, 4);
  const [prefix, length, sizes] =
    kind === 0
      ? ['4', 16, [4, 4, 4, 4]]
      : kind === 1
        ? [`5${int(rng, 1, 5)}`, 16, [4, 4, 4, 4]]
        : kind === 2
          ? ['62', rng() < 0.5 ? 16 : 19, [4, 4, 4, 4]]
          : kind === 3
            ? [pick(rng, ['34', '37']), 15, [4, 6, 5]]
            : ['6011', 16, [4, 4, 4, 4]];
  const payload = prefix + digits(rng, (length as number) - (prefix as string).length - 1);
  return { number: payload + String(luhnCheckDigit(payload)), sizes: sizes as number[] };
}

function bankCard(rng: Rng): string {
  const { number, sizes } = cardNumber(rng);
  const style = int(rng, 0, 2);
  return style === 0 ? number : group(number, sizes, style === 1 ? ' ' : '-');
}

function ibanParts(rng: Rng): { country: string; bban: string } {
  switch (int(rng, 0, 4)) {
    case 0:
      return { country: 'DE', bban: digits(rng, 18) };
    case 1:
      return { country: 'GB', bban: `${upper(rng, 4)}${digits(rng, 14)}` };
    case 2:
      return { country: 'FR', bban: `${digits(rng, 10)}${upper(rng, 2)}${digits(rng, 9)}${digits(rng, 2)}` };
    case 3:
      return { country: 'NL', bban: `${upper(rng, 4)}${digits(rng, 10)}` };
    default:
      return { country: 'ES', bban: digits(rng, 20) };
  }
}

function iban(rng: Rng): string {
  const { country, bban } = ibanParts(rng);
  const compact = `${country}${ibanCheck(country, bban)}${bban}`;
  return rng() < 0.5 ? compact : (compact.match(/.{1,4}/g) ?? []).join(' ');
}

function ipv4(rng: Rng): string {
  return [int(rng, 1, 223), int(rng, 0, 255), int(rng, 0, 255), int(rng, 1, 254)].join('.');
}

function ipv6(rng: Rng): string {
  const hex = () => int(rng, 0, 0xffff).toString(16);
  switch (int(rng, 0, 3)) {
    case 0:
      return Array.from({ length: 8 }, () => hex().padStart(4, '0')).join(':');
    case 1:
      return `2001:db8::${hex()}:${hex()}`;
    case 2:
      return `fe80::${hex()}:${hex()}:${hex()}:${hex()}`;
    default:
      return `2409:8a${int(rng, 10, 99)}:${hex()}:${hex()}::${hex()}`;
  }
}

function passport(rng: Rng): string {
  switch (int(rng, 0, 2)) {
    case 0:
      return `${pick(rng, ['E', 'G'])}${digits(rng, 8)}`;
    case 1:
      return `${int(rng, 1, 9)}${digits(rng, 8)}`;
    default:
      return `${upper(rng, 2)}${digits(rng, 7)}`;
  }
}

function drivingLicence(rng: Rng): string {
  switch (int(rng, 0, 2)) {
    case 0:
      return `${upper(rng, 1)}${digits(rng, 7)}`;
    case 1:
      return `${upper(rng, 2)}${digits(rng, 7)}`;
    default:
      return `${upper(rng, 1)}${digits(rng, 3)}-${digits(rng, 4)}-${digits(rng, 4)}`;
  }
}

function streetAddress(rng: Rng, chinese: boolean): string {
  if (chinese) {
    const place = pick(rng, [
      '北京市朝阳区',
      '上海市浦东新区',
      '广东省深圳市南山区',
      '浙江省杭州市西湖区',
      '四川省成都市武侯区',
      '湖北省武汉市洪山区',
      '江苏省南京市鼓楼区',
    ]);
    const road = pick(rng, ['建国路', '世纪大道', '科技园南路', '文三路', '人民南路', '珞喻路', '中山北路']);
    const tail = rng() < 0.5 ? `${int(rng, 1, 30)}栋${int(rng, 101, 2508)}室` : '';
    return `${place}${road}${int(rng, 1, 999)}号${tail}`;
  }
  const street = `${int(rng, 1, 9999)} ${pick(rng, ['Maple', 'Oak', 'Pennsylvania', 'Baker', 'Sunset', 'Main', 'Elm', 'Cedar Hill'])} ${pick(rng, ['Street', 'Avenue', 'Road', 'Boulevard', 'Lane', 'Drive', 'St.', 'Ave.'])}`;
  return rng() < 0.3 ? `${street}, ${pick(rng, ['Apt', 'Suite', 'Unit'])} ${int(rng, 1, 999)}` : street;
}

// ---- near-misses: structured numbers that are not PII ----

function nearMiss(rng: Rng, chinese: boolean): string {
  switch (int(rng, 0, 17)) {
    case 0:
      return chinese
        ? `订单号：${int(rng, 2019, 2025)}${digits(rng, 12)}`
        : `Order No. ${int(rng, 2019, 2025)}${digits(rng, 12)}`;
    case 1:
      return chinese
        ? `日期 ${int(rng, 2019, 2025)}-${pad(int(rng, 1, 12), 2)}-${pad(int(rng, 1, 28), 2)}`
        : `on ${pad(int(rng, 1, 12), 2)}/${pad(int(rng, 1, 28), 2)}/${int(rng, 2019, 2025)}`;
    case 2:
      return `v${int(rng, 0, 9)}.${int(rng, 0, 20)}.${int(rng, 0, 99)}`;
    case 3:
      return `version ${int(rng, 1, 9)}.${int(rng, 0, 9)}.${int(rng, 0, 9)}.${int(rng, 0, 99)}`;
    case 4: {
      const first = cnIdFirst17(rng);
      const good = cnIdCheck(first);
      const bad = ID_CHECK[(ID_CHECK.indexOf(good) + int(rng, 1, 10)) % 11]!;
      return chinese ? `编号${first}${bad}` : `ref ${first}${bad}`;
    }
    case 5: {
      const { number } = cardNumber(rng);
      const wrong = (Number(number[number.length - 1]) + int(rng, 1, 9)) % 10;
      return `${number.slice(0, -1)}${wrong}`;
    }
    case 6: {
      const { country, bban } = ibanParts(rng);
      const good = ibanCheck(country, bban);
      const bad = pad(((Number(good) + int(rng, 1, 90)) % 97) + 2, 2);
      return `${country}${bad === good ? '01' : bad}${bban}`;
    }
    case 7:
      return `${int(rng, 256, 999)}.${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 0, 255)}`;
    case 8:
      return `${pad(int(rng, 0, 23), 2)}:${pad(int(rng, 0, 59), 2)}:${pad(int(rng, 0, 59), 2)}`;
    case 9:
      return Array.from({ length: 6 }, () =>
        int(rng, 0, 255).toString(16).padStart(2, '0').toUpperCase(),
      ).join(':');
    case 10:
      return chinese ? `快递单号 SF${digits(rng, 12)}` : `tracking SF${digits(rng, 12)}`;
    case 11:
      return `ISBN 978-7-${int(rng, 100, 999)}-${digits(rng, 5)}-${int(rng, 0, 9)}`;
    case 12:
      return chinese
        ? `金额 ¥${int(rng, 1, 99)},${digits(rng, 3)}.${digits(rng, 2)}`
        : `$${int(rng, 1, 99)},${digits(rng, 3)}.${digits(rng, 2)}`;
    case 13:
      return chinese
        ? `${int(rng, 2019, 2025)}年${int(rng, 1, 12)}月${int(rng, 1, 28)}日`
        : `SKU-${digits(rng, 4)}-${digits(rng, 2)}`;
    case 14:
      return chinese ? `房间${int(rng, 101, 2508)}` : `Room ${int(rng, 101, 2508)}`;
    case 15:
      return `${int(rng, 1, 99)}.${int(rng, 0, 9)}%`;
    case 16:
      return chinese ? `发票号码 ${digits(rng, 8)}` : `invoice ${digits(rng, 10)}`;
    default:
      return `build ${int(rng, 1, 9)}.${int(rng, 0, 9)}.${int(rng, 0, 9)}.${int(rng, 1000, 9999)}`;
  }
}

// ---- sentence frames: the text around a value ----

const FRAMES: Record<GoldKind, { zh: readonly string[]; en: readonly string[] }> = {
  email: {
    zh: ['请发邮件到{}联系我', '邮箱：{}', '我的电子邮件是{}。'],
    en: ['Email me at {} please.', 'Contact: {}', 'send the report to {} by Friday'],
  },
  phone: {
    zh: ['手机号{}', '请拨打{}联系客服', '电话：{}'],
    en: ['Call me on {}.', 'phone: {}', 'You can reach her at {} after 6pm.'],
  },
  ssn: {
    zh: ['他的社会安全号是{}', 'SSN：{}'],
    en: ['SSN {} on file', 'Social Security number: {}.', 'my ssn is {}'],
  },
  cn_resident_id: {
    zh: ['身份证号码：{}', '身份证{}已验证', '患者身份证号{}。'],
    en: ['Chinese ID {} was verified.', 'resident ID: {}'],
  },
  bank_card: {
    zh: ['银行卡号{}', '请转账到卡号：{}', '信用卡 {} 已绑定'],
    en: ['card number {}', 'Charge it to {} please.', 'Visa/MC: {}'],
  },
  iban: {
    zh: ['收款账户IBAN：{}', '请汇款至{}'],
    en: ['IBAN: {}', 'Wire the money to {} today.', 'account {}'],
  },
  ipv4: {
    zh: ['服务器地址{}', '登录IP：{}。'],
    en: ['Login from {} was blocked.', 'server at {}', 'ping {}'],
  },
  ipv6: { zh: ['IPv6地址：{}', '来源地址{}'], en: ['connected from {}', 'IPv6 {} is allowed'] },
  passport: {
    zh: ['护照号码：{}', '护照号{}'],
    en: ['Passport No. {}', 'passport number: {}', 'her passport {} expires soon'],
  },
  driving_licence: {
    zh: ['驾照号：{}', '驾驶证编号{}'],
    en: ["driver's license {}", 'Driving licence no. {}', 'DL# {}'],
  },
  street_address: {
    zh: ['住址：{}', '请寄到{}', '我住在{}。'],
    en: ['I live at {}.', 'Ship to {} before noon.', 'address: {}'],
  },
};

const FILLER = {
  zh: [
    '患者主诉头痛三天。',
    '合同于下周生效。',
    '请在24小时内回复。',
    '本季度收入增长了12%。',
    '会议改到周四下午。',
    '',
  ],
  en: [
    'The patient reports a headache for three days.',
    'The contract takes effect next week.',
    'Please reply within 24 hours.',
    'Revenue grew 12% this quarter.',
    '',
  ],
};

const VALUE: Record<GoldKind, (rng: Rng, zh: boolean) => string> = {
  email,
  phone,
  ssn,
  cn_resident_id: cnId,
  bank_card: bankCard,
  iban,
  ipv4,
  ipv6,
  passport,
  driving_licence: drivingLicence,
  street_address: streetAddress,
};

export const GOLD_KINDS = Object.keys(VALUE) as GoldKind[];

/** `count` records, each with one to three PII values and up to two near-misses, deterministic for the seed. */
export function generateLabelledRecords(count: number, seed = 42): LabelledRecord[] {
  const rng = mulberry32(seed);
  const records: LabelledRecord[] = [];
  for (let r = 0; r < count; r++) {
    const zh = rng() < 0.5;
    const lang = zh ? 'zh' : 'en';
    const sep = ' ';
    let text = '';
    const spans: GoldSpan[] = [];
    // Chinese runs clauses together without spaces; a comma keeps two values from touching, as it would in real text.
    const separator = () => (text.length === 0 ? '' : zh ? (/[。，！？；]$/.test(text) ? '' : '，') : sep);
    const append = (piece: string) => {
      if (piece.length === 0) return;
      text += separator() + piece;
    };
    append(pick(rng, FILLER[lang]));
    const pieces = int(rng, 1, 3);
    const misses = int(rng, 0, 2);
    const order = Array.from({ length: pieces + misses }, (_, i) => i < pieces);
    order.sort(() => rng() - 0.5);
    for (const isPii of order) {
      if (!isPii) {
        append(zh ? `${nearMiss(rng, true)}。` : `${nearMiss(rng, false)}.`);
        continue;
      }
      // Each record kind-balanced: cycle through kinds so every kind gets enough examples.
      const kind = GOLD_KINDS[(r * 3 + spans.length + int(rng, 0, 1)) % GOLD_KINDS.length]!;
      const value = VALUE[kind](rng, zh);
      const frame = pick(rng, FRAMES[kind][lang]);
      const [before, after] = frame.split('{}') as [string, string];
      text += separator();
      const start = text.length + before.length;
      text += before + value + after;
      spans.push({ kind, start, end: start + value.length, text: value });
    }
    append(pick(rng, FILLER[lang]));
    records.push({ text, spans });
  }
  return records;
}
