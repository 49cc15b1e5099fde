import { z } from 'zod';
import {
  augmentationTemplateSchema,
  canonicalJson,
  DEFAULT_TEMPLATES,
  type AugmentationTemplate,
} from '../../data/index.js';

/**
 * How templates travel in AugmentationRequested.templates (a list of strings): a default template
 * by its id ("translate-en"), any other template as its canonical JSON. The request then says
 * exactly what generated the records, and a worker anywhere can rebuild the templates from the log.
 */
export function templateReferences(templates: readonly AugmentationTemplate[] = DEFAULT_TEMPLATES): string[] {
  return templates.map((template) => {
    const known = DEFAULT_TEMPLATES.find((candidate) => candidate.id === template.id);
    return known && canonicalJson(known) === canonicalJson(template) ? template.id : canonicalJson(template);
  });
}

/** The templates a request names; throws a message naming the bad entry when one is unknown or invalid. */
export function resolveTemplateReferences(references: readonly string[]): AugmentationTemplate[] {
  return references.map((reference, index) => {
    if (reference.trimStart().startsWith('{')) {
      let raw: unknown;
      try {
        raw = JSON.parse(reference) as unknown;
      } catch {
        throw new Error(
          `templates[${index}] is neither a default template id nor template JSON: ${reference}`,
        );
      }
      const parsed = augmentationTemplateSchema.safeParse(raw);
      if (!parsed.success) {
        throw new Error(
          `templates[${index}] is not a valid template (${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`,
        );
      }
      return parsed.data;
    }
    const known = DEFAULT_TEMPLATES.find((template) => template.id === reference);
    if (!known) {
      throw new Error(
        `templates[${index}] "${reference}" is not a default template (${DEFAULT_TEMPLATES.map((t) => t.id).join(', ')}); give custom templates as JSON`,
      );
    }
    return known;
  });
}

/** A templates file: a JSON list of {id, pattern, response, categories?}. */
export const templateListSchema = z.array(augmentationTemplateSchema).min(1);
