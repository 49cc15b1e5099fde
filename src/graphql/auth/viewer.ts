import type { Role } from './roles.js';
import { roles } from './roles.js';

/** Who is calling: the actor stamped into events, and what they may do. */
export interface Viewer {
  readonly actor: string;
  readonly roles: readonly Role[];
  /** The token's id, or null in local single-user mode. */
  readonly tokenId: string | null;
}

/** The caller when no token is configured at all: one trusted local user with every role. */
export const localViewer: Viewer = { actor: 'local', roles: [...roles], tokenId: null };
