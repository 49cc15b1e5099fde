import { isIPv6 } from 'node:net';
import { chineseResidentIdValid, IBAN_LENGTHS, ibanValid, luhnValid } from './checksums.js';
import type { PiiKind } from './piiKinds.js';

/** A span of text a recogniser claims, end exclusive. */
export interface PiiMatch {
  readonly kind: PiiKind;
  readonly start: number;
  readonly end: number;
}

/**
 * One recogniser in the manner of Presidio's PatternRecognizer: a candidate pattern (global regex)
 * with a base score, context words that raise the score when they stand shortly before the value,
 * and a validation that rejects a candidate, narrows its span, or (a checksum) confirms it, which
 * sets the score to 1. A candidate is a match when its score reaches PII_SCORE_THRESHOLD. `group`
 * names the capture group that holds the value when the pattern also matches around it.
 */
interface Recogniser {
  readonly kind: PiiKind;
  readonly pattern: RegExp;
  /**
   * Where a match can start (START_* bits): the pattern is then tried only at those places the
   * profile pass found, not scanned over the text; ANYWHERE scans (e-mail, IPv6, Chinese streets).
   */
  readonly starts: number;
  /**
   * Whether a match can start at one of those places, from what the profile pass saw there: the
   * kind of start, the run after it (digits after a DIGIT or OPENING start; capitals, up to 3,
   * from a CAPITAL one), the character after that run, and the character at the start. Skips the
   * places where the pattern would fail, without running it.
   */
  readonly fits?: (start: number, run: number, after: number, first: number) => boolean;
  /**
   * The fewest digits a match that starts at a digit holds, where the pattern joins groups of
   * digits by at most one space, dash or dot: a DIGIT start is skipped when the runs from it, so
   * joined, hold fewer.
   */
  readonly digits?: number;
  /** A cheap test on the text's character profile (and, for context-only formats, its words): the pattern is run only when it can match. */
  readonly needs: (p: TextProfile, text: string) => boolean;
  readonly group?: number;
  /** Score of a bare match, 0..1: at or above the threshold when the format alone identifies a person. */
  readonly score: number;
  /** Words whose presence in the context window before the value adds CONTEXT_BOOST. */
  readonly context?: RegExp;
  /** A passing validation is a checksum: the score becomes 1. */
  readonly checksum?: boolean;
  /** Reference words before the value ("order", "invoice", "版本") reject it. */
  readonly rejectsReferences?: boolean;
  readonly accept?: (value: string, text: string, start: number) => { start: number; end: number } | boolean;
}

/** A candidate needs this score to count as PII. */
export const PII_SCORE_THRESHOLD = 0.5;
/** What one context word adds to a candidate's score. */
const CONTEXT_BOOST = 0.35;
/** How far before a value context words are looked for; the window stops at the previous number or sentence end. */
const CONTEXT_WINDOW = 32;

/** Counts gathered in one pass over the text, so most recognisers can be skipped without running a regex. */
interface TextProfile {
  digits: number;
  maxDigitRun: number;
  /** Bit n set when the text has a run of exactly n digits (n capped at 30). */
  runLengths: number;
  /** A run of digits starts with 0 (a Chinese area code) where no dash, dot, slash or colon comes before it. */
  zeroRun: boolean;
  upper: number;
  at: boolean;
  colon: boolean;
  /** How many colons, and whether two stand together: an IPv6 address has "::" or at least six. */
  colons: number;
  doubleColon: boolean;
  plus: boolean;
  dot: boolean;
  dash: boolean;
  paren: boolean;
  hao: boolean;
  /** Full-width digits, letters, @ or +, or a no-break or ideographic space: the text is read through `narrow`. */
  wide: boolean;
  /** 路, 街, 道, 巷, 胡(同) or 里: a Chinese street word. */
  road: boolean;
  /** A number of 1-5 digits, maybe a letter, white space, then a capital: how an English street address starts. */
  numberThenCapital: boolean;
  /** How many places a match may start at, listed in startsAt and startKinds (in text order). */
  starts: number;
}

/**
 * The places a match may start at, with their kind (DIGIT, OPENING, CAPITAL), as the last profile
 * pass found them: kept between calls so that a text costs no allocation; grown when a text has more.
 */
let startsAt = new Int32Array(256);
let startKinds = new Uint8Array(256);
let startRuns = new Int32Array(256);
let startAfters = new Uint16Array(256);

/** Words right before a number that say it is a reference, not a person's identifier. */
const REFERENCE_CONTEXT =
  /(?:\b(?:order|invoice|inv|tracking|ref(?:erence)?|sku|isbn|serial|part|model|batch|ticket|po|sn|s\/n)\b|订单|单号|发票|流水号|工单|批号|型号|序列号)[^\n\d]{0,8}$/i;
const VERSION_CONTEXT =
  /(?:\bv|version\s*|build\s*|ver\.?\s*|firmware\s*|\bfw\s*|release\s*|版本号?\s*|固件\s*)$/i;
/** The ten-digit runs that read as a date and time (2024031512) rather than a phone number. */
const DATE_LIKE = /^(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])/;

const PHONE_CONTEXT =
  /(?:phone|tel\b|tel[.:：]|mobile|cell|call|fax|whatsapp|wechat|sms|text\s+me|reach|contact|ring|dial|电话|手机|联系|致电|拨打|座机|热线|来电|微信|号码)/i;
const PASSPORT_CONTEXT = /(?:passport|travel\s+document|护照|通行证|回乡证|旅行证)/i;
const LICENCE_CONTEXT = /(?:driv|licen[cs]e|\bDL\b|驾照|驾驶证|驾驶执照)/i;

/** Characters that end a context window: digits and sentence ends. */
function endsContext(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    c === 10 ||
    c === 0x3002 || // 。
    c === 0xff1b || // ；
    c === 59 || // ;
    c === 33 ||
    c === 63 ||
    c === 0xff01 || // ！
    c === 0xff1f // ？
  );
}

/** The text a context word may stand in: up to CONTEXT_WINDOW characters before the value, cut at the previous number or sentence end. */
function contextBefore(text: string, start: number): string {
  const from = Math.max(0, start - CONTEXT_WINDOW);
  let cut = start;
  while (cut > from && !endsContext(text.charCodeAt(cut - 1))) cut--;
  return text.slice(cut, start);
}

function notReference(text: string, start: number): boolean {
  // A reference word ends at most 8 characters before the value, with no digit or line break between:
  // look only as far back as such characters go.
  let from = start;
  while (from > 0 && start - from < 24) {
    const c = text.charCodeAt(from - 1);
    if ((c >= 48 && c <= 57) || c === 10) break;
    from--;
  }
  return start - from < 2 || !REFERENCE_CONTEXT.test(text.slice(from, start));
}

/** RFC 5321 local-part characters as they are written in practice: letters, digits and . _ % + -. */
function isLocalPartChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 46 ||
    c === 95 ||
    c === 37 ||
    c === 43 ||
    c === 45
  );
}

function digitsOf(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) out += value[i];
  }
  return out;
}

/** Card networks: first digits and the lengths that network issues. */
function cardNetworkFits(number: string): boolean {
  const n = number.length;
  // The first two and four digits as numbers, read from the character codes (no slices).
  const two = (number.charCodeAt(0) - 48) * 10 + number.charCodeAt(1) - 48;
  const four = two * 100 + (number.charCodeAt(2) - 48) * 10 + number.charCodeAt(3) - 48;
  if (number[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return n === 16;
  if (two === 34 || two === 37) return n === 15;
  if (two === 62 || two === 81) return n >= 16 && n <= 19;
  if (four === 6011 || two === 65 || (two === 64 && Number(number[2]) >= 4)) return n >= 16 && n <= 19;
  if (four >= 3528 && four <= 3589) return n >= 16 && n <= 19;
  if (two === 36 || two === 38 || two === 30) return n >= 14 && n <= 19;
  return false;
}

const PROVINCE =
  '(?:北京|上海|天津|重庆|(?:河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门)(?:省|自治区|特别行政区)?)';

/**
 * Phone numbers stand alone: not inside a word, a longer number or a dotted/dashed code, and not
 * right after another group of digits (the tail of a card number with a wrong check digit).
 */
const PHONE_BEFORE = String.raw`(?<![\w+.\-/]|\d[ .\-])`;
const PHONE_AFTER = String.raw`(?![\w]|[.\-/]\w)`;
const phonePattern = (body: string) => new RegExp(`${PHONE_BEFORE}(?:${body})${PHONE_AFTER}`, 'g');

/** A match may start anywhere: the pattern scans the text. */
const ANYWHERE = 0;
/** A match starts at the first digit of a run of digits. */
const DIGIT = 1;
/** A match starts at a "(" or "+" right before a digit (or "(+" before one): a phone's country or area code. */
const OPENING = 2;
/** A match starts at a capital letter that does not follow a letter or digit. */
const CAPITAL = 4;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isLetter = (c: number) => isUpper(c) || (c >= 97 && c <= 122);
/** A CAPITAL start of one or two capitals, then a digit: how passports, licences and IBANs begin. */
const lettersThenDigit = (run: number, after: number) => run <= 2 && isDigit(after);

/** The bit of TextProfile.runLengths that stands for a run of exactly n digits. */
const run = (n: number) => 1 << n;
/** The text has a run of exactly one of the lengths in `mask` (run(7) | run(8)). */
const hasRun = (p: TextProfile, mask: number) => (p.runLengths & mask) !== 0;

const RECOGNISERS: readonly Recogniser[] = [
  {
    kind: 'email',
    starts: ANYWHERE,
    needs: (p) => p.at,
    score: 1,
    // The pattern starts at the @, which the regex engine finds fast; the local part is read backwards from there.
    pattern: /@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    accept: (value, text, at) => {
      let start = at;
      while (start > 0 && isLocalPartChar(text.charCodeAt(start - 1))) start--;
      return start < at && { start, end: at + value.length };
    },
  },
  {
    kind: 'iban',
    starts: CAPITAL,
    fits: (_start, run, after) => run === 2 && isDigit(after),
    needs: (p) => p.upper >= 2 && p.digits >= 10,
    score: 0,
    checksum: true,
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?/g,
    accept: (value, _text, start) => {
      const length = IBAN_LENGTHS[value.slice(0, 2)];
      if (!length) return false;
      // The pattern may run into a following word; cut at the country's length.
      let count = 0;
      let end = 0;
      while (end < value.length && count < length) {
        if (value[end] !== ' ') count++;
        end++;
      }
      if (count !== length) return false;
      if (end < value.length && /[A-Z0-9]/.test(value[end]!) && value[end - 1] !== ' ' && value[end] !== ' ')
        return false;
      return ibanValid(value.slice(0, end).replace(/ /g, '')) ? { start, end: start + end } : false;
    },
  },
  {
    kind: 'cn_resident_id',
    starts: DIGIT,
    // The region code is six digits together, however the rest is grouped.
    fits: (_start, run, _after, first) => first !== 48 && (run === 6 || run === 17 || run === 18),
    digits: 17,
    needs: (p) => p.digits >= 17 && p.maxDigitRun >= 6,
    score: 0,
    checksum: true,
    // 18 characters, written whole or grouped region / birth date (year, month-day) / sequence and check.
    pattern:
      /(?<![0-9A-Za-z])[1-9]\d{5}([ -]?)(?:18|19|20)\d{2}(?:\1?)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\1\d{3}[\dXx](?![0-9A-Za-z])/g,
    accept: (value) => chineseResidentIdValid(value.replace(/[ -]/g, '')),
  },
  {
    kind: 'cn_resident_id',
    starts: DIGIT,
    // Split once anywhere: a line wrapped inside the number (read joined) or a space typed mid-group
    // ("1101051949 1231002X"). The 18 characters around one space; one part has at least nine digits.
    needs: (p) => p.digits >= 17 && p.maxDigitRun >= 9,
    fits: (_start, run, after, first) => first !== 48 && run <= 17 && after === 32,
    digits: 17,
    score: 0,
    checksum: true,
    pattern: /(?<![0-9A-Za-z])(?=[\d ]{18}[\dXx](?![0-9A-Za-z]))[1-9]\d{0,16} \d{1,16}[\dXx]/g,
    accept: (value) => chineseResidentIdValid(value.replace(' ', '')),
  },
  {
    kind: 'bank_card',
    starts: DIGIT,
    needs: (p) => p.digits >= 13 && p.maxDigitRun >= 4,
    // 13 to 19 digits together, or a group followed by a space or dash.
    fits: (_start, run, after) => (run >= 13 && run <= 19) || (run < 13 && (after === 32 || after === 45)),
    digits: 13,
    score: 0,
    checksum: true,
    rejectsReferences: true,
    pattern: /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\d])/g,
    accept: (value, _text, start) => {
      // A grouped number may run into digits that follow it ("card 5128 2391 9597 0876 88...", a
      // card and its CVV): try the whole candidate, then each shorter one that ends at a group
      // boundary. (So a 19-digit number with a wrong check digit whose first 16 digits pass is
      // redacted as a card: leaking a card and its CVV would be worse.)
      const digits = digitsOf(value);
      if (cardNetworkFits(digits) && luhnValid(digits)) return true;
      for (let end = value.lastIndexOf(' '); end > 0; end = value.lastIndexOf(' ', end - 1)) {
        let cut = end;
        while (cut > 0 && (value[cut - 1] === ' ' || value[cut - 1] === '-')) cut--;
        let count = 0;
        for (let i = 0; i < cut; i++) if (value.charCodeAt(i) !== 32 && value.charCodeAt(i) !== 45) count++;
        if (count < 13) break;
        const prefix = digits.slice(0, count);
        if (cardNetworkFits(prefix) && luhnValid(prefix)) return { start, end: start + cut };
      }
      return false;
    },
  },
  {
    kind: 'passport',
    starts: CAPITAL,
    needs: (p) => (p.upper >= 1 && hasRun(p, run(8))) || (p.upper >= 2 && hasRun(p, run(7))),
    fits: (_start, run, after, first) => (run === 1 || first === 69) && lettersThenDigit(run, after),
    // Chinese passports (E or G and eight digits, and the newer E, a letter other than I or O, and
    // seven digits) and the Mainland travel permits of Hong Kong and Macau residents (C, H or M and
    // eight digits): bare, they identify. EA1234567 also fits the guide's licence pattern: ranked
    // before it, bare it reads as a passport; a licence word before it makes it a licence.
    score: 0.6,
    context: PASSPORT_CONTEXT,
    rejectsReferences: true,
    pattern: /(?<![\w-])(?:[CEGHM]\d{8}|E[A-HJ-NP-Z]\d{7})(?![\w-])/g,
  },
  {
    kind: 'passport',
    starts: CAPITAL | DIGIT,
    needs: (p, text) => hasRun(p, run(7) | run(8) | run(9)) && PASSPORT_CONTEXT.test(text),
    fits: (start, run, after) => (start === DIGIT ? run === 9 : lettersThenDigit(run, after)),
    // Other countries' passports (one or two letters and seven or eight digits, or nine digits) look
    // like many other codes: only a passport word before them makes them one.
    score: 0.3,
    context: PASSPORT_CONTEXT,
    rejectsReferences: true,
    pattern: /(?<![\w-])(?:[A-Z]{1,2}\d{7,8}|\d{9})(?![\w-])/g,
  },
  {
    kind: 'driving_licence',
    starts: CAPITAL,
    needs: (p) => p.upper >= 2 && hasRun(p, run(7)),
    fits: (_start, run, after) => run === 2 && isDigit(after),
    // The founding guide's pattern, two capitals and seven digits: caught bare.
    score: 0.6,
    context: LICENCE_CONTEXT,
    rejectsReferences: true,
    pattern: /(?<![\w-])[A-Z]{2}\d{7}(?![\w-])/g,
  },
  {
    kind: 'driving_licence',
    starts: CAPITAL | DIGIT,
    needs: (p, text) =>
      p.upper >= 1 && hasRun(p, run(1) | run(6) | run(7) | run(12)) && LICENCE_CONTEXT.test(text),
    // A letter and 7 or 12 digits, the Californian and Floridian forms, need a licence word.
    score: 0.3,
    context: LICENCE_CONTEXT,
    rejectsReferences: true,
    pattern: /(?<![\w-])(?:[A-Z]\d{12}|[A-Z]\d{7}|[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2})(?![\w-])/g,
  },
  {
    kind: 'driving_licence',
    starts: CAPITAL,
    needs: (p) => p.dash && p.upper >= 1 && hasRun(p, run(3)) && hasRun(p, run(4)),
    fits: (_start, run, after) => run === 1 && isDigit(after),
    // A123-4567-8901 (Wisconsin, Illinois) is distinctive alone.
    score: 0.6,
    context: LICENCE_CONTEXT,
    rejectsReferences: true,
    pattern: /(?<![\w-])[A-Z]\d{3}-\d{4}-\d{4}(?![\w-])/g,
  },
  {
    kind: 'ssn',
    starts: DIGIT,
    needs: (p) => p.dash && hasRun(p, run(2)) && hasRun(p, run(3)) && hasRun(p, run(4)),
    fits: (_start, run, after) => run === 3 && after === 45,
    score: 0.6,
    context: /(?:ssn|social\s+security|社会安全|社保号)/i,
    rejectsReferences: true,
    pattern: /(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/g,
  },
  {
    kind: 'phone',
    starts: DIGIT | OPENING,
    // Whole (11, or 13/15 with 86/0086), or with a group of four or eight (3-4-4, 3-8).
    needs: (p) => p.digits >= 11 && hasRun(p, run(4) | run(8) | run(11) | run(13) | run(15)),
    // A bracket or plus of the country code; the 1 of the mobile, its digits grouped 3-4-4, 7-4, 3-8 or
    // not; or the 0 of 0086, then the same (the 86 apart or not).
    fits: (start, run, _after, first) =>
      start === OPENING ||
      (first === 49 && (run === 3 || run === 7 || run === 11)) ||
      (first === 48 && (run === 4 || run === 7 || run === 11 || run === 15)),
    digits: 11,
    // Mainland China mobile, optionally with +86 / 0086, grouped 3-4-4 by spaces, dashes or dots, or not.
    score: 0.6,
    context: PHONE_CONTEXT,
    rejectsReferences: true,
    pattern: phonePattern(String.raw`(?:(?:\(\+?86\)|\+86|0086)[ \-]?)?1[3-9]\d(?:[ .\-]?\d{4}){2}`),
  },
  {
    kind: 'phone',
    starts: OPENING,
    needs: (p) => p.plus && p.digits >= 8,
    fits: (_start, _run, _after, first) => first === 43,
    // International: + country code, then digit groups split by spaces, dashes, dots or an area code in brackets; 8 to 15 digits (E.164).
    score: 0.6,
    context: PHONE_CONTEXT,
    pattern: phonePattern(String.raw`\+[1-9]\d{0,2}(?:[ .\-]?\(\d{1,4}\))?(?:[ .\-]?\d{1,5}){1,5}`),
    accept: (value) => {
      const n = digitsOf(value).length;
      return n >= 8 && n <= 15;
    },
  },
  {
    kind: 'phone',
    starts: DIGIT | OPENING,
    // 3-3-4 digits, the last two groups apart or together (a seven-digit run after a bracketed area code).
    needs: (p) => p.digits >= 10 && hasRun(p, run(3)) && hasRun(p, run(4) | run(7)),
    // The area code's three digits (after a bracket or not), or the trunk prefix 1.
    fits: (start, run, after, first) =>
      start === OPENING
        ? first === 40 && run === 3
        : (run === 3 || (run === 1 && first === 49)) && (after === 32 || after === 45 || after === 46),
    digits: 10,
    // North American numbers, the founding guide's \d{3}[-.]?\d{3}[-.]?\d{4}: (415) 555-0199, 415.555.0199, 415 555 0199, 1-415-555-0199.
    score: 0.6,
    context: PHONE_CONTEXT,
    rejectsReferences: true,
    pattern: phonePattern(
      String.raw`(?:1[ .\-])?(?:\(\d{3}\)[ .\-]?\d{3}[ .\-]?\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4}|\d{3} \d{3} \d{4})`,
    ),
  },
  {
    kind: 'phone',
    starts: DIGIT,
    needs: (p) => hasRun(p, run(10)),
    fits: (_start, run) => run === 10,
    // Ten digits in a row: a North American number when area code and exchange start with 2-9;
    // one that reads as a date and hour (2024031512) needs a phone word.
    score: 0.6,
    context: PHONE_CONTEXT,
    rejectsReferences: true,
    pattern: phonePattern(String.raw`[2-9]\d{2}[2-9]\d{6}`),
    accept: (value, text, start) => !DATE_LIKE.test(value) || PHONE_CONTEXT.test(contextBefore(text, start)),
  },
  {
    kind: 'phone',
    starts: DIGIT | OPENING,
    needs: (p) => p.digits >= 9 && (p.zeroRun || p.plus),
    fits: (start, _run, _after, first) => start === OPENING || first === 48,
    // Chinese landlines: area code 010, 02X or 0XXX, in brackets or not, then a 7-8 digit number, split anyhow.
    score: 0.6,
    context: PHONE_CONTEXT,
    rejectsReferences: true,
    pattern: phonePattern(
      String.raw`(?:\+86[ \-]?\(?0?|0086[ \-]?\(?0?|\(0|0)(?:10|2\d|[3-9]\d{2})\)?[ .\-]?[2-9]\d{2,3}[ .\-]?\d{4}`,
    ),
    accept: (value) => {
      const n = digitsOf(value)
        .replace(/^(?:0086|86)/, '')
        .replace(/^0/, '').length;
      return n >= 9 && n <= 11;
    },
  },
  {
    kind: 'phone',
    starts: DIGIT,
    needs: (p) => hasRun(p, run(4) | run(8)),
    // 4-4 (apart by a space or dash, or together) or 3-4 (by a dash).
    fits: (_start, run, after, first) =>
      first >= 50 &&
      (run === 8 || (run === 4 && (after === 32 || after === 45)) || (run === 3 && after === 45)),
    digits: 7,
    // A local number without its area code (6234 5678, 555-0199) is a phone number only next to a phone word.
    score: 0.2,
    context: PHONE_CONTEXT,
    rejectsReferences: true,
    pattern: phonePattern(String.raw`[2-9]\d{3}[ \-]?\d{4}|[2-9]\d{2}-\d{4}`),
  },
  {
    kind: 'ipv6',
    starts: ANYWHERE,
    needs: (p) => p.doubleColon || p.colons >= 6,
    score: 0.6,
    // Before the IPv4 recogniser, so that an address with an IPv4 tail (::ffff:192.0.2.1, RFC 4291) is one IPv6 address.
    // Not inside a word or a longer colon-separated run; a label's colon before it is fine ("IP:2001:db8::1").
    pattern:
      /(?<!\w|[0-9A-Fa-f:]:)(?!:::)(?=[0-9A-Fa-f]|::)(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?![\w:]|\.\d)/g,
    accept: (value) => /[0-9A-Fa-f]/.test(value) && isIPv6(value),
  },
  {
    kind: 'ipv4',
    starts: DIGIT,
    needs: (p) => p.dot && p.digits >= 4,
    fits: (_start, run, after) => run <= 3 && after === 46,
    score: 0.6,
    pattern:
      /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)/g,
    accept: (_value, text, start) => !VERSION_CONTEXT.test(text.slice(Math.max(0, start - 10), start)),
  },
  {
    kind: 'street_address',
    starts: DIGIT,
    needs: (p) => p.numberThenCapital,
    // 1-5 digits, maybe a letter, then white space.
    fits: (_start, run, after) => run <= 5 && (isLetter(after) || isSpace(after)),
    score: 0.6,
    pattern:
      /(?<![\w.])\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Highway|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Hwy)\.?)(?![A-Za-z])(?:,?\s+(?:Apt|Apartment|Suite|Unit|Ste|Room|Floor)\.?\s*#?\s*\d+[A-Za-z]?)?/g,
  },
  {
    kind: 'street_address',
    starts: ANYWHERE,
    needs: (p) => p.hao && p.road,
    score: 0.6,
    pattern: new RegExp(
      `${PROVINCE}[\\u4e00-\\u9fa5]{0,14}?(?:路|街|大道|巷|胡同|里)\\d{1,5}号(?:院|楼)?(?:\\d{1,4}(?:栋|幢|号楼|单元|层|楼|室))*`,
      'g',
    ),
  },
];

/**
 * A recogniser as it is run: every optional field present (null or false when unset), so that all
 * have one object shape and reading a field in the loops stays cheap; the pattern sticky when it
 * is tried only at the profile's starts.
 */
interface RunnableRecogniser {
  readonly kind: PiiKind;
  readonly pattern: RegExp;
  readonly starts: number;
  readonly fits: NonNullable<Recogniser['fits']> | null;
  readonly needs: Recogniser['needs'];
  readonly group: number;
  readonly score: number;
  readonly context: RegExp | null;
  readonly checksum: boolean;
  readonly rejectsReferences: boolean;
  readonly accept: NonNullable<Recogniser['accept']> | null;
}

const RUNNABLE: readonly RunnableRecogniser[] = RECOGNISERS.map((r) => ({
  kind: r.kind,
  pattern: r.starts === ANYWHERE ? r.pattern : new RegExp(r.pattern.source, 'y'),
  starts: r.starts,
  fits: r.fits ?? null,
  needs: r.needs,
  group: r.group ?? 0,
  score: r.score,
  context: r.context ?? null,
  checksum: r.checksum ?? false,
  rejectsReferences: r.rejectsReferences ?? false,
  accept: r.accept ?? null,
}));

/** Each recogniser's pattern as a global scan over the whole text (`scannedCandidatesOf`). */
const SCANNED: readonly RegExp[] = RECOGNISERS.map((r) => new RegExp(r.pattern.source, 'g'));

/** A scored candidate span, before overlaps are resolved. */
export interface ScoredPiiMatch extends PiiMatch {
  readonly score: number;
}

type RankedCandidate = ScoredPiiMatch & { rank: number };

/**
 * Every candidate span with its score (base, raised by context, 1 when a checksum confirms it),
 * threshold not yet applied, overlaps not resolved: for explaining a decision.
 */
export function scorePiiCandidates(text: string): RankedCandidate[] {
  // In the recognisers' order, each one's in text order.
  return candidatesOf(text, 0).sort((a, b) => a.rank - b.rank);
}

/** The candidates scoring at least `minScore`, each with its recogniser's rank. */
function candidatesOf(text: string, minScore: number, lastBreak = -1): RankedCandidate[] {
  const candidates: RankedCandidate[] = [];
  // The profile is that of the narrowed text; the text is narrowed when it has full-width digits,
  // letters or signs, or wide spaces (same length, same offsets: the spans found in the narrowed
  // text are the spans of the text).
  const p = profile(text);
  if (p.wide) text = narrow(text);
  if (p.digits === 0 && !p.at && !p.colon) return candidates;
  // The recognisers the profile allows, as bits by rank; those that scan are run now.
  let needed = 0;
  for (let rank = 0; rank < RUNNABLE.length; rank++) {
    const r = RUNNABLE[rank]!;
    if (!r.needs(p, text)) continue;
    if (r.starts !== ANYWHERE) {
      needed |= 1 << rank;
      continue;
    }
    // Read across line breaks, only candidates that hold one count: e-mail addresses, IPv6
    // addresses and Chinese street addresses hold no white space.
    if (lastBreak >= 0) continue;
    const pattern = r.pattern;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text))
      judge(r, rank, m, text, minScore, candidates);
  }
  if (needed === 0) return candidates;
  // The others, sticky, at each start that fits them and is not inside their previous match (the
  // places a scan would find a match at, without reading the text between): one pass over the
  // starts for all of them. Their candidates come start by start, each recogniser's in text order.
  // Across line breaks, a candidate starts where its match does, at or before the text's last break.
  const starts = lastBreak >= 0 ? startsUpTo(p.starts, lastBreak) : p.starts;
  matchedTo.fill(0);
  joinDigits(p.starts);
  for (let k = 0; k < starts; k++) {
    const at = startsAt[k]!;
    const kind = startKinds[k]!;
    let fitting = needed & FITTING[startClass(kind, startRuns[k]!, startAfters[k]!, text.charCodeAt(at))]!;
    if (kind === DIGIT) fitting &= JOINED_FITTING[startJoined[k]! < 31 ? startJoined[k]! : 31]!;
    while (fitting !== 0) {
      const rank = 31 - Math.clz32(fitting & -fitting);
      fitting &= fitting - 1;
      if (at < matchedTo[rank]!) continue;
      const r = RUNNABLE[rank]!;
      const pattern = r.pattern;
      pattern.lastIndex = at;
      const m = pattern.exec(text);
      if (m === null) continue;
      matchedTo[rank] = at + m[0].length;
      judge(r, rank, m, text, minScore, candidates);
    }
  }
  return candidates;
}

/** How many of the first `starts` starts are at or before `position` (they are in text order). */
function startsUpTo(starts: number, position: number): number {
  let k = starts;
  while (k > 0 && startsAt[k - 1]! > position) k--;
  return k;
}

/**
 * By number of digits joined from a DIGIT start (capped at 31), the recognisers (bits by rank) whose
 * `digits` allow it.
 */
const JOINED_FITTING: Uint32Array = (() => {
  const table = new Uint32Array(32);
  for (let joined = 0; joined < 32; joined++)
    RECOGNISERS.forEach((r, rank) => {
      if ((r.digits ?? 0) <= joined) table[joined]! |= 1 << rank;
    });
  return table;
})();

/**
 * The digits joined from each DIGIT start: its run, and the runs after it, each one space, dash or
 * dot after the previous one (`Recogniser.digits`), into startJoined.
 */
function joinDigits(starts: number): void {
  if (startJoined.length < startsAt.length) startJoined = new Int32Array(startsAt.length);
  // Backwards, so that the start right after a separator already has its count.
  let nextAt = -1;
  let nextJoined = 0;
  for (let k = starts - 1; k >= 0; k--) {
    if (startKinds[k] !== DIGIT) continue;
    const run = startRuns[k]!;
    const after = startAfters[k]!;
    let joined = run;
    if (nextAt === startsAt[k]! + run + 1 && (after === 32 || after === 45 || after === 46))
      joined += nextJoined;
    startJoined[k] = joined;
    nextAt = startsAt[k]!;
    nextJoined = joined;
  }
}

let startJoined = new Int32Array(256);

/** Where each recogniser's previous match ended, by rank, in the pass over the starts. */
const matchedTo = new Int32Array(32);

/**
 * A start's class, all `fits` reads of it: its kind, its run (capped at 31: no recogniser tells
 * longer runs apart), the character after the run (`afterClass`) and the
 * character it starts at (0, 1, 2-9, an opening bracket, a plus, E or other).
 */
function startClass(kind: number, run: number, after: number, first: number): number {
  const kindIndex = kind === DIGIT ? 0 : kind === OPENING ? 1 : 2;
  return (
    ((kindIndex * 32 + (run < 31 ? run : 31)) * AFTER_CLASSES + afterClass(after)) * FIRST_CLASSES +
    firstClass(first)
  );
}

const AFTER_CLASSES = 7;
/** The character after a run: a digit, a space, a dash, a dot, a letter, other white space, other. */
const AFTER_EXAMPLES = [48, 32, 45, 46, 97, 9, 0];
function afterClass(c: number): number {
  if (c >= 48 && c <= 57) return 0;
  if (c === 32) return 1;
  if (c === 45) return 2;
  if (c === 46) return 3;
  if (isLetter(c)) return 4;
  return isSpace(c) ? 5 : 6;
}

const FIRST_CLASSES = 7;
/** The character a start is at: 0, 1, 2-9, "(", "+", "E", other. */
const FIRST_EXAMPLES = [48, 49, 50, 40, 43, 69, 65];
function firstClass(c: number): number {
  return c === 48
    ? 0
    : c === 49
      ? 1
      : c >= 50 && c <= 57
        ? 2
        : c === 40
          ? 3
          : c === 43
            ? 4
            : c === 69
              ? 5
              : 6;
}

/**
 * By start class, the recognisers (bits by rank) that take starts of its kind and whose `fits`
 * accepts it: `fits` run once per class when the module loads, not per start.
 */
const FITTING: Uint32Array = (() => {
  const table = new Uint32Array(3 * 32 * AFTER_CLASSES * FIRST_CLASSES);
  for (const kind of [DIGIT, OPENING, CAPITAL])
    for (let run = 0; run < 32; run++)
      for (const after of AFTER_EXAMPLES)
        for (const first of FIRST_EXAMPLES) {
          let bits = 0;
          RUNNABLE.forEach((r, rank) => {
            if ((r.starts & kind) !== 0 && (r.fits === null || r.fits(kind, run, after, first)))
              bits |= 1 << rank;
          });
          table[startClass(kind, run, after, first)] = bits;
        }
  return table;
})();

/**
 * The candidates as a plain scan finds them: every recogniser's pattern run over the whole (narrowed)
 * text, without the profile, the starts and the `needs` and `fits` pre-filters. Those only skip work,
 * so this finds what `candidatesOf` finds, slower: the reference the tests hold the pre-filters to.
 */
function scannedCandidatesOf(text: string, minScore: number): RankedCandidate[] {
  const candidates: RankedCandidate[] = [];
  if (profile(text).wide) text = narrow(text);
  for (let rank = 0; rank < RUNNABLE.length; rank++) {
    const r = RUNNABLE[rank]!;
    const pattern = SCANNED[rank]!;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text))
      judge(r, rank, m, text, minScore, candidates);
  }
  return candidates;
}

/** Adds the candidate a pattern's match `m` makes, if its validation accepts it and it scores at least `minScore`. */
function judge(
  r: RunnableRecogniser,
  rank: number,
  m: RegExpExecArray,
  text: string,
  minScore: number,
  candidates: RankedCandidate[],
): void {
  const value = r.group ? m[r.group]! : m[0];
  const start = r.group ? m.index + m[0].lastIndexOf(value) : m.index;
  // The validation first: it rejects most look-alikes (a card's wrong check digit) before the reference words are read.
  const verdict = r.accept ? r.accept(value, text, start) : true;
  if (verdict === false) return;
  if (r.rejectsReferences && !notReference(text, start)) return;
  const spanStart = verdict === true ? start : verdict.start;
  const spanEnd = verdict === true ? start + value.length : verdict.end;
  let score = r.score;
  if (r.checksum) score = 1;
  else if (
    r.context &&
    score < 1 &&
    score + CONTEXT_BOOST >= minScore &&
    r.context.test(contextBefore(text, spanStart))
  ) {
    score = Math.min(1, score + CONTEXT_BOOST);
  }
  if (score >= minScore) candidates.push({ kind: r.kind, start: spanStart, end: spanEnd, score, rank });
}

/**
 * Every PII span in the text: candidates at or above the threshold, overlaps resolved (the higher
 * score wins, then the earlier recogniser, then the longer span).
 */
export function findPii(text: string): PiiMatch[] {
  return spansOf(text, candidatesOf);
}

/**
 * What `findPii` finds, from candidates found by a plain scan of every pattern over the whole text
 * (no pre-filter skips a recogniser or a place): the reference that tests hold `findPii` to.
 */
export function findPiiByScan(text: string): PiiMatch[] {
  return spansOf(text, scannedCandidatesOf);
}

/** `scorePiiCandidates` from a plain scan of every pattern over the whole text (see `findPiiByScan`). */
export function scorePiiCandidatesByScan(text: string): (ScoredPiiMatch & { rank: number })[] {
  return scannedCandidatesOf(text, 0);
}

function spansOf(
  text: string,
  candidatesOf: (text: string, minScore: number, lastBreak?: number) => RankedCandidate[],
): PiiMatch[] {
  const found = resolve(candidatesOf(text, PII_SCORE_THRESHOLD), []);
  // A number broken over two lines ("138 1234\n5678") is read once more with the break as a space;
  // only what spans a break is added, so a list of numbers one per line reads as before.
  const joined = joinBrokenNumbers(text);
  if (joined === undefined) return found;
  // It must carry a whole group of at least four characters over the break, not swallow the start
  // of the next line ("+852 6534 8661\n1 mg/kg").
  const across = candidatesOf(joined, PII_SCORE_THRESHOLD, text.lastIndexOf('\n')).filter((c) => {
    const lastBreak = text.lastIndexOf('\n', c.end - 1);
    return lastBreak >= c.start && c.end - lastBreak - 1 >= 4;
  });
  if (across.length === 0) return found;
  // A span across the break replaces what it holds that was found on one line ("+86 131 3822" of
  // "+86 131 3822\n4905"), unless it runs into something else found (the next line's address).
  across.sort((a, b) => b.score - a.score || a.rank - b.rank || b.end - b.start - (a.end - a.start));
  let result = found;
  for (const c of across) {
    const inside = (f: PiiMatch) => c.start <= f.start && f.end <= c.end;
    if (result.some((f) => f.end > c.start && f.start < c.end && !inside(f))) continue;
    result = result.filter((f) => !inside(f));
    result.push({ kind: c.kind, start: c.start, end: c.end });
  }
  return result.sort((a, b) => a.start - b.start);
}

/** The candidates that do not overlap a better one (or one already `accepted`), in text order. */
function resolve(candidates: RankedCandidate[], accepted: PiiMatch[]): PiiMatch[] {
  if (candidates.length === 0) return accepted;
  if (candidates.length === 1 && accepted.length === 0) {
    const { kind, start, end } = candidates[0]!;
    return [{ kind, start, end }];
  }
  candidates.sort((a, b) => b.score - a.score || a.rank - b.rank || b.end - b.start - (a.end - a.start));
  for (const c of candidates) {
    let free = true;
    for (const a of accepted) {
      if (c.end > a.start && c.start < a.end) {
        free = false;
        break;
      }
    }
    if (free) accepted.push({ kind: c.kind, start: c.start, end: c.end });
  }
  return accepted.sort((a, b) => a.start - b.start);
}

/** Full-width ASCII (０-９, Ａ-Ｚ, （, ＠...) as ASCII and the no-break and ideographic spaces as spaces, one character for one. */
function narrow(text: string): string {
  // Most texts have a few such characters among many others: the runs between them are kept as slices.
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const raw = text.charCodeAt(i);
    if (raw < 0xa0) continue;
    const c = narrowCode(raw);
    if (c === raw) continue;
    out += text.slice(from, i) + String.fromCharCode(c);
    from = i + 1;
  }
  return out + text.slice(from);
}

/** The ASCII character a full-width one (０-９, Ａ-Ｚ, （, ＠...) stands for, a space for a no-break or ideographic space; others as they are. */
function narrowCode(c: number): number {
  if (c < 0xa0) return c;
  if (c >= 0xff01 && c <= 0xff5e) return c - 0xfee0;
  return c === 0xa0 || c === 0x2007 || c === 0x202f || c === 0x3000 ? 32 : c;
}

/** The text with each line break between two digits as a space, or undefined when there is none. */
function joinBrokenNumbers(text: string): string | undefined {
  let joined: string | undefined;
  let from = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) {
    if (!isAnyDigit(text.charCodeAt(at - 1)) || !isAnyDigit(text.charCodeAt(at + 1))) continue;
    joined = (joined ?? '') + text.slice(from, at) + ' ';
    from = at + 1;
  }
  return joined === undefined ? undefined : joined + text.slice(from);
}

/** An ASCII or full-width digit (NaN, before the text or after it, is neither). */
function isAnyDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19);
}

/** JavaScript's \s: ASCII white space, no-break and ideographic spaces, the Unicode space separators. */
function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    (c > 127 &&
      (c === 0xa0 ||
        c === 0x3000 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0xfeff))
  );
}

function profile(text: string): TextProfile {
  // Locals in the loop, written to the profile once: V8 keeps them in registers.
  let digits = 0;
  let maxDigitRun = 0;
  let runLengths = 0;
  let zeroRun = false;
  let upper = 0;
  let at = false;
  let colon = false;
  let colons = 0;
  let doubleColon = false;
  let plus = false;
  let dot = false;
  let dash = false;
  let paren = false;
  let hao = false;
  let wide = false;
  let road = false;
  let numberThenCapital = false;
  let run = 0;
  let starts = 0;
  let runFrom = 0;
  let before = 0;
  let c = 0;
  const n = text.length;
  // At most three starts per character (an opening bracket, a plus, a digit): room for all of them.
  if (startsAt.length < n + 3) {
    startsAt = new Int32Array(2 * n + 3);
    startKinds = new Uint8Array(2 * n + 3);
    startRuns = new Int32Array(2 * n + 3);
    startAfters = new Uint16Array(2 * n + 3);
  }
  // The module's arrays as locals in the loop (V8 keeps them in registers).
  const places = startsAt;
  const kinds = startKinds;
  const runs = startRuns;
  const afters = startAfters;
  for (let i = 0; i < n; i++, before = c) {
    // The profile of the narrowed text, read in one pass over this one.
    const raw = text.charCodeAt(i);
    c = raw;
    if (raw >= 0xa0) {
      c = narrowCode(raw);
      if (c !== raw) {
        // Full-width digits, letters, @, +, brackets and wide spaces make the text read narrowed
        // (not the commas, colons and stops of Chinese prose alone).
        if (
          c === 32 ||
          (raw >= 0xff10 &&
            raw !== 0xff1a &&
            raw !== 0xff1b &&
            raw !== 0xff1f &&
            (raw <= 0xff3a || raw >= 0xff41)) ||
          raw === 0xff0b ||
          raw === 0xff08 ||
          raw === 0xff09
        )
          wide = true;
      } else if (raw === 0x53f7) hao = true;
      else if (
        raw === 0x8def ||
        raw === 0x8857 ||
        raw === 0x9053 ||
        raw === 0x5df7 ||
        raw === 0x80e1 ||
        raw === 0x91cc
      )
        road = true;
    }
    if (c >= 48 && c <= 57) {
      if (run === 0) {
        if (c === 48 && !zeroRun && !afterNumberSeparator(text, i)) zeroRun = true;
        runFrom = starts;
        if (before === 43 || before === 40) {
          if (before === 43 && i >= 2 && narrowCode(text.charCodeAt(i - 2)) === 40) {
            places[starts] = i - 2;
            kinds[starts++] = OPENING;
          }
          places[starts] = i - 1;
          kinds[starts++] = OPENING;
        }
        places[starts] = i;
        kinds[starts++] = DIGIT;
      }
      run++;
      continue;
    }
    if (run > 0) {
      digits += run;
      if (run > maxDigitRun) maxDigitRun = run;
      runLengths |= 1 << (run < 30 ? run : 30);
      if (run <= 5 && !numberThenCapital) numberThenCapital = capitalAfterNumber(text, i);
      for (let k = runFrom; k < starts; k++) {
        runs[k] = run;
        afters[k] = c;
      }
      run = 0;
    }
    if (c > 127) continue;
    if (c >= 65 && c <= 90) {
      upper++;
      if (!isLetter(before) && !isDigit(before)) {
        let capitals = 1;
        while (capitals < 3 && isUpper(narrowCode(text.charCodeAt(i + capitals)))) capitals++;
        places[starts] = i;
        kinds[starts] = CAPITAL;
        runs[starts] = capitals;
        afters[starts++] = i + capitals < n ? narrowCode(text.charCodeAt(i + capitals)) : 0;
      }
    } else if (c === 64) at = true;
    else if (c === 58) {
      colon = true;
      colons++;
      if (before === 58) doubleColon = true;
    } else if (c === 43) plus = true;
    else if (c === 46) dot = true;
    else if (c === 45) dash = true;
    else if (c === 40) paren = true;
  }
  if (run > 0) {
    digits += run;
    if (run > maxDigitRun) maxDigitRun = run;
    runLengths |= 1 << (run < 30 ? run : 30);
    for (let k = runFrom; k < starts; k++) {
      runs[k] = run;
      afters[k] = 0;
    }
  }
  return {
    digits,
    maxDigitRun,
    runLengths,
    zeroRun,
    upper,
    at,
    colon,
    colons,
    doubleColon,
    plus,
    dot,
    dash,
    paren,
    hao,
    wide,
    road,
    numberThenCapital,
    starts,
  };
}

/**
 * A 0 after a dash, dot, slash or colon that follows a digit is a date's month or a time's minutes
 * (2024-03-05, 12:05), not an area code; after a label ("Tel:010-...") it may be one.
 */
function afterNumberSeparator(text: string, i: number): boolean {
  if (i < 2) return false;
  const before = narrowCode(text.charCodeAt(i - 1));
  if (before !== 45 && before !== 46 && before !== 47 && before !== 58) return false;
  const digit = narrowCode(text.charCodeAt(i - 2));
  return digit >= 48 && digit <= 57;
}

/** After the number that ends at `i`: maybe one letter, white space, then a capital. */
function capitalAfterNumber(text: string, i: number): boolean {
  if (isLetter(narrowCode(text.charCodeAt(i)))) i++;
  if (!isSpace(text.charCodeAt(i))) return false;
  while (isSpace(text.charCodeAt(i))) i++;
  return isUpper(narrowCode(text.charCodeAt(i)));
}
