import { Field, ObjectType } from 'type-graphql';
import type { Role } from '../auth/roles.js';
import { RoleEnum } from './enums.js';

@ObjectType('Viewer', { description: 'The caller as the API sees them.' })
export class ViewerType {
  @Field({ description: 'The name stamped into the metadata of every event this caller causes.' })
  actor!: string;

  @Field(() => [RoleEnum])
  roles!: Role[];

  @Field({ description: 'True when no API token exists and every caller is the local user.' })
  localMode!: boolean;
}
