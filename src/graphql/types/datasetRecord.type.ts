import { Field, Int, ObjectType } from 'type-graphql';
import type { Role } from '../../data/index.js';
import { connectionType } from './connection.js';
import { MessageRoleEnum } from './enums.js';

@ObjectType('DatasetRecordMessage', {
  description: 'One turn of a record: who speaks, and the redacted text.',
})
export class DatasetRecordMessageType {
  @Field(() => MessageRoleEnum, { description: 'Who speaks: SYSTEM, USER or ASSISTANT.' })
  role!: Role;

  @Field({ description: 'The text with every PII span the recognisers find replaced by its placeholder.' })
  content!: string;
}

@ObjectType('DatasetRecord', {
  description:
    "A record of a dataset revision as its artifact holds it, redacted for reading: every text passes the PII recognisers again with every kind redacted, whatever the revision's policy kept or pseudonymised.",
})
export class DatasetRecordType {
  @Field(() => Int, { description: "The record's position in the revision, from 0." })
  index!: number;

  @Field(() => [DatasetRecordMessageType])
  messages!: DatasetRecordMessageType[];

  @Field(() => String, {
    nullable: true,
    description: 'A preference record: the preferred answer, redacted.',
  })
  chosen!: string | null;

  @Field(() => String, { nullable: true, description: 'A preference record: the other answer, redacted.' })
  rejected!: string | null;
}

export const DatasetRecordConnection = connectionType('DatasetRecord', DatasetRecordType);
