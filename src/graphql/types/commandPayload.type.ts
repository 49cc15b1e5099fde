import { Field, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('CommandPayload', {
  description:
    'What a mutation recorded. It returns once its events are projected, so queries made after it see them.',
})
export class CommandPayload {
  @Field(() => ID, { description: 'The id of the thing the command was about (run id, dataset id, ...).' })
  id!: string;

  @Field()
  streamId!: string;

  @Field(() => Int, { description: 'The stream version after the command.' })
  version!: number;

  @Field({ description: 'True when the idempotencyKey had been used before: nothing new was recorded.' })
  replayed!: boolean;

  @Field(() => [ID])
  eventIds!: string[];

  @Field(() => [String])
  eventTypes!: string[];

  @Field(() => String, { nullable: true, description: 'Checkpoint of the last event; subscribe `from` it.' })
  checkpoint!: string | null;
}
