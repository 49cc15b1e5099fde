import { Field, ObjectType } from 'type-graphql';

/** Relay's PageInfo: cursors are opaque strings a client hands back as `after` / `before`. */
@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}
