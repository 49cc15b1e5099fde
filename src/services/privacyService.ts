import { DomainError, subjectDecider, subjectStream } from '../domain/index.js';
import type { CommandContext } from './commandContext.js';
import type { CommandResult } from './commandHandler.js';
import type { ServiceKit } from './serviceDependencies.js';

/** Where subjects' data keys live (the subject_keys table); destroying one erases the subject. */
export interface DataKeyShredder {
  /** Deletes the subject's key; true when there was one. */
  destroy(subjectId: string): Promise<boolean>;
}

/** The right to erasure: forgetting a data subject (docs/privacy.md). */
export class PrivacyService {
  constructor(
    private readonly kit: ServiceKit,
    private readonly keys: DataKeyShredder | undefined,
  ) {}

  /**
   * Records SubjectForgotten, then destroys the subject's data key. In this order a failure between the two
   * leaves a recorded erasure whose key still exists: forgetting again (a no-op in the log) destroys it,
   * while the projections already show the subject's texts as erased.
   */
  async forgetSubject(
    input: { subjectId: string; reason: string },
    context: CommandContext,
  ): Promise<CommandResult & { keyDestroyed: boolean }> {
    // The stream id is built from the subject id: refuse an unusable one before the store sees it.
    if (input.subjectId.trim() === '' || input.subjectId.length > 200) {
      throw new DomainError(
        'SUBJECT_FORGET_INVALID',
        'subjectId must be 1 to 200 characters, not only spaces',
        {
          field: 'subjectId',
        },
      );
    }
    if (!this.keys) {
      throw new Error('crypto-shredding is not configured on this platform: no subject key store');
    }
    const result = await this.kit.handler.handle(
      subjectDecider,
      subjectStream(input.subjectId),
      { type: 'ForgetSubject', subjectId: input.subjectId, reason: input.reason, at: this.kit.now() },
      context,
    );
    const keyDestroyed = await this.keys.destroy(input.subjectId);
    return { ...result, keyDestroyed };
  }
}
