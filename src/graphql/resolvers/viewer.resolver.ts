import { Ctx, Query, Resolver } from 'type-graphql';
import type { ApiContext } from '../context.js';
import { ViewerType } from '../types/viewer.type.js';

@Resolver()
export class ViewerResolver {
  @Query(() => ViewerType, { description: 'Who the API thinks you are.' })
  me(@Ctx() context: ApiContext): ViewerType {
    return {
      actor: context.viewer.actor,
      roles: [...context.viewer.roles],
      localMode: context.viewer.tokenId === null,
    };
  }
}
