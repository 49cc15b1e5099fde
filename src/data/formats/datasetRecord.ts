/** The one internal shape every input format is normalised to. */
export const MESSAGE_ROLES = ['system', 'user', 'assistant'] as const;
export type Role = (typeof MESSAGE_ROLES)[number];

export interface Message {
  readonly role: Role;
  readonly content: string;
}

/** A lexicon term found in a message: character offsets (UTF-16, end exclusive) into `messages[message].content`. */
export interface EntitySpan {
  readonly message: number;
  readonly start: number;
  readonly end: number;
  readonly term: string;
  readonly category: string;
}

/** Where a generated record came from. */
export interface Provenance {
  readonly templateId: string;
  readonly substitutions: Readonly<Record<string, string>>;
  readonly sourceRecord?: string;
}

/**
 * Instruction formats (alpaca, sharegpt, openai-messages) become a conversation whose last message
 * is the assistant's response. Preference pairs keep the prompt as messages (ending with the user
 * turn) and the two answers in `chosen` and `rejected`.
 */
export interface DatasetRecord {
  readonly messages: readonly Message[];
  readonly chosen?: string;
  readonly rejected?: string;
  readonly entities?: readonly EntitySpan[];
  readonly provenance?: Provenance;
}

export const DATASET_FORMATS = ['alpaca', 'sharegpt', 'openai-messages', 'preference'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export const CONTAINERS = ['jsonl', 'json', 'csv'] as const;
export type Container = (typeof CONTAINERS)[number];

/** The user turn the record asks: the instruction that quality scoring and dedup look at. */
export function instructionOf(record: DatasetRecord): string {
  for (let i = record.messages.length - 1; i >= 0; i--) {
    if (record.messages[i]!.role === 'user') return record.messages[i]!.content;
  }
  return '';
}

/** The answer a model should learn: the final assistant turn, or the chosen answer of a preference pair. */
export function responseOf(record: DatasetRecord): string {
  if (record.chosen !== undefined) return record.chosen;
  const last = record.messages[record.messages.length - 1];
  return last?.role === 'assistant' ? last.content : '';
}
