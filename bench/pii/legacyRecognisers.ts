/**
 * The recognisers as they were before context scores and bare identifiers (commit 662dd1c), kept
 * frozen so that `npm run bench -- pii` measures the earlier recall, precision and MB/s in the
 * same run as the current ones.
 */
import { isIPv6 } from 'node:net';
import { chineseResidentIdValid, IBAN_LENGTHS, ibanValid, luhnValid } from '../../src/data/pii/checksums.js';
import type { PiiKind } from '../../src/data/pii/piiKinds.js';

/** A span of text a recogniser claims, end exclusive. */
export interface PiiMatch {
  readonly kind: PiiKind;
  readonly start: number;
  readonly end: number;
}

/**
 * One recogniser: a candidate pattern (global regex), and a check that turns a candidate into a
 * match or rejects it (checksums, context). `group` names the capture group that holds the value
 * when the pattern also matches its context (a passport's "Passport No.").
 */
interface Recogniser {
  readonly kind: PiiKind;
  readonly pattern: RegExp;
  /** A cheap test on the text's character profile: the pattern is run only when it can match. */
  readonly needs: (p: TextProfile) => boolean;
  readonly group?: number;
  readonly accept?: (value: string, text: string, start: number) => { start: number; end: number } | boolean;
}

/** Counts gathered in one pass over the text, so most recognisers can be skipped without running a regex. */
interface TextProfile {
  digits: number;
  maxDigitRun: number;
  upper: number;
  at: boolean;
  colon: boolean;
  plus: boolean;
  dot: boolean;
  dash: boolean;
  paren: boolean;
  hao: boolean;
}

/** Words right before a number that say it is a reference, not a person's identifier. */
const REFERENCE_CONTEXT =
  /(?:order|invoice|tracking|ref(?:erence)?|sku|isbn|serial|订单|单号|发票|流水号|工单)[^\n\d]{0,8}$/i;
const VERSION_CONTEXT = /(?:\bv|version\s*|build\s*|ver\.?\s*|版本号?\s*)$/i;

function notReference(text: string, start: number): boolean {
  return !REFERENCE_CONTEXT.test(text.slice(Math.max(0, start - 24), start));
}

const digitsOf = (value: string) => value.replace(/\D/g, '');

/** Card networks: first digits and the lengths that network issues. */
function cardNetworkFits(number: string): boolean {
  const n = number.length;
  const two = Number(number.slice(0, 2));
  const four = Number(number.slice(0, 4));
  if (number[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return n === 16;
  if (two === 34 || two === 37) return n === 15;
  if (two === 62 || two === 81) return n >= 16 && n <= 19;
  if (four === 6011 || two === 65 || (two === 64 && Number(number[2]) >= 4)) return n >= 16 && n <= 19;
  if (two === 35) return n >= 16 && n <= 19;
  if (two === 36 || two === 38 || two === 30) return n >= 14 && n <= 19;
  return false;
}

const PROVINCE =
  '(?:北京|上海|天津|重庆|(?:河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门)(?:省|自治区|特别行政区)?)';

const RECOGNISERS: readonly Recogniser[] = [
  {
    kind: 'email',
    needs: (p) => p.at,
    pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
  },
  {
    kind: 'iban',
    needs: (p) => p.upper >= 2 && p.digits >= 10,
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
    needs: (p) => p.maxDigitRun >= 17,
    pattern:
      /(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/g,
    accept: (value) => chineseResidentIdValid(value),
  },
  {
    kind: 'passport',
    needs: (p) => p.maxDigitRun >= 7,
    group: 1,
    pattern:
      /(?:[Pp]assport|PASSPORT|护照)(?:\s*(?:[Nn]o\.?|[Nn]umber|#|号码|号|编号))?\s*[:：#]?\s*([A-Z]{1,2}\d{7,8}|\d{9})(?![0-9A-Za-z])/g,
  },
  {
    kind: 'driving_licence',
    needs: (p) => p.maxDigitRun >= 3 && p.upper >= 1,
    group: 1,
    pattern:
      /(?:[Dd]river'?s?\s+[Ll]icen[cs]e|[Dd]riving\s+[Ll]icen[cs]e|\bDL|驾照|驾驶证)(?:\s*(?:[Nn]o\.?|[Nn]umber|#|号码|号|编号))?\s*[:：#]?\s*([A-Z]\d{3}-\d{4}-\d{4}|[A-Z]\d{12}|[A-Z]{1,2}\d{7}|[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2})(?![0-9A-Za-z])/g,
  },
  {
    kind: 'bank_card',
    needs: (p) => p.digits >= 13 && p.maxDigitRun >= 4,
    pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g,
    accept: (value, text, start) => {
      if (!notReference(text, start)) return false;
      // A grouped number may run into digits that follow it ("card 5128 2391 9597 0876 88..."):
      // try the whole candidate, then each shorter one that ends at a group boundary.
      for (let end = value.length; end > 0; end = value.lastIndexOf(' ', end - 1)) {
        const cut = value.slice(0, end).replace(/[ -]$/, '');
        const digits = digitsOf(cut);
        if (digits.length < 13) break;
        if (cardNetworkFits(digits) && luhnValid(digits)) return { start, end: start + cut.length };
      }
      return false;
    },
  },
  {
    kind: 'ssn',
    needs: (p) => p.dash && p.maxDigitRun >= 4,
    pattern: /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g,
  },
  {
    kind: 'phone',
    needs: (p) => p.digits >= 11 && p.maxDigitRun >= 3,
    // Mainland China mobile, optionally with +86 / 0086, grouped 3-4-4 or not.
    pattern: /(?<![\d+])(?:(?:\(\+86\)|\+86|0086)[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![\d])/g,
    accept: (_value, text, start) => notReference(text, start),
  },
  {
    kind: 'phone',
    needs: (p) => p.plus && p.digits >= 8,
    // International: + country code, then 2-5 digit groups; 8 to 15 digits in all (E.164).
    pattern: /(?<![\w+])\+[1-9]\d{0,2}(?:[ -]?\(\d{1,4}\))?(?:[ -]?\d{1,5}){1,5}(?![\d])/g,
    accept: (value) => {
      const n = digitsOf(value).length;
      return n >= 8 && n <= 15;
    },
  },
  {
    kind: 'phone',
    needs: (p) => (p.dash || p.paren) && p.digits >= 9,
    // North American (NXX) NXX-XXXX and 0AA(A)-XXXXXXX(X) Chinese landlines.
    pattern:
      /(?<![\w-])(?:\([2-9]\d{2}\) ?[2-9]\d{2}-\d{4}|[2-9]\d{2}-[2-9]\d{2}-\d{4}|0\d{2,3}-[2-9]\d{6,7})(?![\d-])/g,
    accept: (_value, text, start) => notReference(text, start),
  },
  {
    kind: 'ipv4',
    needs: (p) => p.dot && p.digits >= 4,
    pattern:
      /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)/g,
    accept: (_value, text, start) => !VERSION_CONTEXT.test(text.slice(Math.max(0, start - 10), start)),
  },
  {
    kind: 'ipv6',
    needs: (p) => p.colon,
    pattern: /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])/g,
    accept: (value) => /[0-9A-Fa-f]/.test(value) && isIPv6(value),
  },
  {
    kind: 'street_address',
    needs: (p) => p.upper >= 1,
    pattern:
      /(?<![\w.])\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Highway|(?:St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Hwy)\.?)(?![A-Za-z])(?:,?\s+(?:Apt|Apartment|Suite|Unit|Ste|Room|Floor)\.?\s*#?\s*\d+[A-Za-z]?)?/g,
  },
  {
    kind: 'street_address',
    needs: (p) => p.hao,
    pattern: new RegExp(
      `${PROVINCE}[\\u4e00-\\u9fa5]{0,14}?(?:路|街|大道|巷|胡同|里)\\d{1,5}号(?:院|楼)?(?:\\d{1,4}(?:栋|幢|号楼|单元|层|楼|室))*`,
      'g',
    ),
  },
];

/** Every PII span in the text, overlaps resolved (the earlier recogniser wins, then the longer span). */
export function findPiiBefore(text: string): PiiMatch[] {
  const p = profile(text);
  if (p.digits === 0 && !p.at && !p.colon) return [];
  const candidates: (PiiMatch & { rank: number })[] = [];
  for (let rank = 0; rank < RECOGNISERS.length; rank++) {
    const r = RECOGNISERS[rank]!;
    if (!r.needs(p)) continue;
    r.pattern.lastIndex = 0;
    for (let m = r.pattern.exec(text); m !== null; m = r.pattern.exec(text)) {
      const value = r.group ? m[r.group]! : m[0];
      const start = r.group ? m.index + m[0].lastIndexOf(value) : m.index;
      const verdict = r.accept ? r.accept(value, text, start) : true;
      if (verdict === false) continue;
      const span = verdict === true ? { start, end: start + value.length } : verdict;
      candidates.push({ kind: r.kind, start: span.start, end: span.end, rank });
    }
  }
  if (candidates.length <= 1) return candidates.map(({ kind, start, end }) => ({ kind, start, end }));
  candidates.sort((a, b) => a.rank - b.rank || b.end - b.start - (a.end - a.start));
  const accepted: PiiMatch[] = [];
  for (const c of candidates) {
    if (accepted.every((a) => c.end <= a.start || c.start >= a.end)) {
      accepted.push({ kind: c.kind, start: c.start, end: c.end });
    }
  }
  return accepted.sort((a, b) => a.start - b.start);
}

function profile(text: string): TextProfile {
  const p: TextProfile = {
    digits: 0,
    maxDigitRun: 0,
    upper: 0,
    at: false,
    colon: false,
    plus: false,
    dot: false,
    dash: false,
    paren: false,
    hao: false,
  };
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      p.digits++;
      run++;
      if (run > p.maxDigitRun) p.maxDigitRun = run;
      continue;
    }
    run = 0;
    if (c >= 65 && c <= 90) p.upper++;
    else if (c === 64) p.at = true;
    else if (c === 58) p.colon = true;
    else if (c === 43) p.plus = true;
    else if (c === 46) p.dot = true;
    else if (c === 45) p.dash = true;
    else if (c === 40) p.paren = true;
    else if (c === 0x53f7) p.hao = true;
  }
  return p;
}
