import type { Kysely, Migration } from 'kysely';

/**
 * A read-model table of the feedback projection: which data subject each of its rows belongs to
 * (`row_id` is `<table>:<key>`), so a SubjectForgotten erases exactly that subject's texts. A table of its
 * own, not a column, so it does not depend on the read models' migrations (0100-) that run after it.
 */
export const feedbackSubjects: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('feedback_subjects')
      .addColumn('row_id', 'text', (column) => column.primaryKey())
      .addColumn('subject_id', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('feedback_subjects_subject')
      .on('feedback_subjects')
      .column('subject_id')
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('feedback_subjects').execute();
  },
};
