/**
 * IFEval-style strict and loose scoring. Strict checks the response as is; loose also accepts
 * it when some variant passes: first line removed, last line removed, both, and each of those
 * with markdown `*` removed (IFEval's `test_instruction_following_loose`).
 */
import { checkConstraint, type Constraint, type ConstraintKind } from './constraints.js';

export interface ConstraintResult {
  readonly kind: ConstraintKind;
  readonly strict: boolean;
  readonly loose: boolean;
}

export function looseVariants(response: string): string[] {
  const lines = response.split('\n');
  const removeFirst = lines.slice(1).join('\n').trim();
  const removeLast = lines.slice(0, -1).join('\n').trim();
  const removeBoth = lines.slice(1, -1).join('\n').trim();
  const variants = [response, removeFirst, removeLast, removeBoth];
  return [...variants, ...variants.map((variant) => variant.replaceAll('*', ''))];
}

export function checkConstraints(response: string, constraints: readonly Constraint[]): ConstraintResult[] {
  if (constraints.length === 0) return [];
  const hasText = response.trim() !== '';
  let variants: string[] | undefined;
  return constraints.map((constraint) => {
    const strict = hasText && checkConstraint(response, constraint);
    if (strict) return { kind: constraint.kind, strict, loose: true };
    variants ??= looseVariants(response);
    const loose = variants.some((variant) => variant.trim() !== '' && checkConstraint(variant, constraint));
    return { kind: constraint.kind, strict, loose };
  });
}

export interface AccuracyPair {
  /** Share of prompts whose every constraint is followed. */
  readonly promptLevel: number;
  /** Share of all constraints followed. */
  readonly instructionLevel: number;
}

export interface InstructionFollowingSummary {
  /** Prompts that carried at least one constraint. */
  readonly prompts: number;
  readonly instructions: number;
  readonly strict: AccuracyPair;
  readonly loose: AccuracyPair;
  /** Instruction-level accuracy per constraint kind. */
  readonly perType: Record<
    string,
    { readonly count: number; readonly strict: number; readonly loose: number }
  >;
}

export function summariseInstructionFollowing(
  perPrompt: readonly (readonly ConstraintResult[])[],
): InstructionFollowingSummary {
  let prompts = 0;
  let instructions = 0;
  let strictPrompts = 0;
  let loosePrompts = 0;
  let strictInstructions = 0;
  let looseInstructions = 0;
  const perType: Record<string, { count: number; strict: number; loose: number }> = {};
  for (const results of perPrompt) {
    if (results.length === 0) continue;
    prompts += 1;
    let allStrict = true;
    let allLoose = true;
    for (const result of results) {
      instructions += 1;
      const entry = (perType[result.kind] ??= { count: 0, strict: 0, loose: 0 });
      entry.count += 1;
      if (result.strict) {
        strictInstructions += 1;
        entry.strict += 1;
      } else allStrict = false;
      if (result.loose) {
        looseInstructions += 1;
        entry.loose += 1;
      } else allLoose = false;
    }
    if (allStrict) strictPrompts += 1;
    if (allLoose) loosePrompts += 1;
  }
  const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
  for (const entry of Object.values(perType)) {
    entry.strict = share(entry.strict, entry.count);
    entry.loose = share(entry.loose, entry.count);
  }
  return {
    prompts,
    instructions,
    strict: {
      promptLevel: share(strictPrompts, prompts),
      instructionLevel: share(strictInstructions, instructions),
    },
    loose: {
      promptLevel: share(loosePrompts, prompts),
      instructionLevel: share(looseInstructions, instructions),
    },
    perType,
  };
}
