import { z } from 'zod';

/**
 * A parameterised instruction template in the founding guide's form, "将{input}翻译成英文:{response}":
 * the text before {response} becomes the instruction, with {input} replaced by a lexicon term;
 * `response` says what fills {response}, from the term's attributes ("{en}", "{definition}").
 * Other placeholders: {category}. A template is used only for terms that have every attribute
 * it names and, when `categories` is given, whose category starts with one of them.
 */
export const augmentationTemplateSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'template ids are lower-case words joined by -' }),
  pattern: z.string().refine((p) => p.includes('{input}') && p.includes('{response}'), {
    error: 'a template pattern must contain {input} and {response}',
  }),
  response: z.string().min(1),
  categories: z.array(z.string()).optional(),
});
export type AugmentationTemplate = z.infer<typeof augmentationTemplateSchema>;

/** The founding guide's three templates and their English counterparts. */
export const DEFAULT_TEMPLATES: readonly AugmentationTemplate[] = [
  { id: 'translate-en', pattern: '将{input}翻译成英文:{response}', response: '{en}' },
  { id: 'explain-zh', pattern: '用简洁的语言解释{input}:{response}', response: '{definition}' },
  { id: 'solutions-zh', pattern: '假设{input},给出三个解决方案:{response}', response: '{solutions}' },
  { id: 'translate-zh', pattern: 'Translate {input} into Chinese: {response}', response: '{zh}' },
  { id: 'explain-en', pattern: 'Explain {input} concisely: {response}', response: '{definition_en}' },
];

const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/gi;

/** Attribute names a template needs from a term ({input} and {category} always exist). */
export function requiredAttributes(template: AugmentationTemplate): string[] {
  const names = new Set<string>();
  for (const text of [template.pattern.split('{response}')[0]!, template.response]) {
    for (const m of text.matchAll(PLACEHOLDER)) if (m[1] !== 'input' && m[1] !== 'category') names.add(m[1]!);
  }
  return [...names];
}

/** Fills placeholders from `values`; throws on an unknown one, so a typo in a template is caught. */
export function fill(text: string, values: Readonly<Record<string, string>>, templateId: string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new Error(`template ${templateId} uses ${whole}, which the term does not have`);
    return value;
  });
}

export function instructionPart(pattern: string): string {
  return pattern.split('{response}')[0]!.replace(/[\s:：]+$/u, '');
}
