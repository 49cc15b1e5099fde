import type { TokenStore } from './tokenStore.js';
import { InvalidTokenError } from './tokenStore.js';
import type { Viewer } from './viewer.js';
import { localViewer } from './viewer.js';

/**
 * The caller behind an `Authorization` value (HTTP header or graphql-ws connection param).
 * While no token exists at all the caller is the local user, with or without a header: clients such as
 * the official `openai` one insist on sending some key, so any placeholder is accepted then. Once a token
 * exists, every request must carry a valid one.
 */
export async function authenticate(authorization: string | undefined, tokens: TokenStore): Promise<Viewer> {
  if (authorization === undefined || authorization.trim() === '') {
    if (await tokens.hasActiveTokens()) {
      throw new InvalidTokenError(
        'this API requires a token: send "Authorization: Bearer <token>" (create one with `tuneledger token create --actor NAME --role ROLE`)',
      );
    }
    return localViewer;
  }
  try {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
    if (!match) throw new InvalidTokenError('the Authorization header must be "Bearer <token>"');
    return await tokens.authenticate(match[1]!);
  } catch (error) {
    if (error instanceof InvalidTokenError && !(await tokens.hasActiveTokens())) return localViewer;
    throw error;
  }
}
