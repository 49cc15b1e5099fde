/** Distractor noise: an irrelevant but plausible sentence inserted between the instruction's sentences. */
import { pick, type Random } from './seededRandom.js';
import { splitSentences } from './sentences.js';
import { isMostlyChinese } from './textLanguage.js';

export const ENGLISH_DISTRACTORS: readonly string[] = [
  'By the way, the weather was lovely yesterday.',
  'Note that the office closes early on Fridays.',
  'My cousin once visited a museum of old clocks.',
  'Some people prefer tea to coffee in the morning.',
];

export const CHINESE_DISTRACTORS: readonly string[] = [
  '顺便说一句，昨天的天气很好。',
  '注意，办公室周五会提前下班。',
  '我的表哥曾经参观过一个古钟博物馆。',
  '有些人早上更喜欢喝茶而不是咖啡。',
];

export function addDistractor(instruction: string, random: Random, distractors?: readonly string[]): string {
  const chinese = isMostlyChinese(instruction);
  const pool = distractors ?? (chinese ? CHINESE_DISTRACTORS : ENGLISH_DISTRACTORS);
  const sentence = pick(random, pool);
  const sentences = splitSentences(instruction);
  const at = Math.floor(random() * (sentences.length + 1));
  sentences.splice(at, 0, sentence);
  return sentences.join(chinese ? '' : ' ');
}
