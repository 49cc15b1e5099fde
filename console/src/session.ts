import { createContext, useContext } from 'react';
import type { Role } from './gql/graphql';

/** Who the API thinks the person is; the roles decide which actions the console shows. */
export interface Viewer {
  readonly actor: string;
  readonly roles: readonly Role[];
  readonly localMode: boolean;
}

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer | null {
  return useContext(ViewerContext);
}

/** Whether the person may do what one of `roles` may (admin may do everything). */
export function can(viewer: Viewer | null, ...roles: Role[]): boolean {
  if (!viewer) return false;
  return viewer.roles.includes('ADMIN') || roles.some((role) => viewer.roles.includes(role));
}
