import type { TokenStore } from './tokenStore.js';
import { InvalidTokenError } from './tokenStore.js';
import type { Viewer } from './viewer.js';
import { localViewer } from './viewer.js';

/**
 * The caller behind an `Authorization` value (HTTP header or graphql-ws connection param).
 * Without a header the caller is the local user only while no token exists at all; once one
 * does, every request must carry a token.
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
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
  if (!match) {
    throw new InvalidTokenError('the Authorization header must be "Bearer <token>"');
  }
  return tokens.authenticate(match[1]!);
}
