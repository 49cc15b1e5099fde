import { describe, expect, it } from 'vitest';
import { treebankTokenize } from '../../../src/ml/eval/index.js';

// The CMRC port's word tokenizer, rule by rule, against NLTK itself: each string aims at one rule of
// NLTKWordTokenizer (starting quotes, punctuation, ending quotes, contractions), and each expected list is what
// `nltk.tokenize.NLTKWordTokenizer().tokenize` (NLTK 3.10.3) printed for it.
const nltk: [string, string[]][] = [
  ['“hi” ‘there’ „x« »y', ['“', 'hi', '”', '‘', 'there', '’', '„', 'x', '«', '»', 'y']],
  ['``x`', ['``', 'x', '`']],
  ['"start here', ['``', 'start', 'here']],
  ["(\"a\") [''b'']", ['(', '``', 'a', "''", ')', '[', '``', 'b', "''", ']']],
  ['{"c"} <"d">', ['{', '``', 'c', "''", '}', '<', '``', 'd', "''", '>']],
  ['end.)', ['end', '.', ')']],
  ['ok.» ', ['ok', '.', '»']],
  ['said.” ', ['said', '.', '”']],
  ['list:', ['list', ':']],
  ['a,', ['a', ',']],
  ['x‒y–z—w―v', ['x', '‒', 'y', '–', 'z', '—', 'w', '―', 'v']],
  ['done.\'"', ['done', '.', "'", "''"]],
  ["rock n' roll", ['rock', 'n', "'", 'roll']],
  ['a--b', ['a', '--', 'b']],
  ['x» y’ z”', ['x', '»', 'y', '’', 'z', '”']],
  ["said ''yes'' ok", ['said', '``', 'yes', "''", 'ok']],
  ['WANNA go', ['WAN', 'NA', 'go']],
  ['wanna go', ['wan', 'na', 'go']],
  ["x 'tis", ['x', "'", 'tis']],
  ["'Tis so", ["'", 'Tis', 'so']],
  ["say 'twas", ['say', "'", 'twas']],
  ["'TWAS it", ["'", 'TWAS', 'it']],
  ['a\t\n b', ['a', 'b']],
  ['ab." ', ['ab', '.', "''"]],
  ['go. ) ', ['go', '.', ')']],
  ["stop.'", ['stop', '.', "'"]],
  ["it's o'clock", ['it', "'s", "o'clock"]],
  ['e.g. fine.', ['e.g.', 'fine', '.']],
  ['"', ['``']],
  ["''", ["''"]],
];

describe('the CMRC word tokenizer against NLTK 3.10.3', () => {
  it.each(nltk)('%j', (text, tokens) => {
    expect(treebankTokenize(text)).toEqual(tokens);
  });
});
