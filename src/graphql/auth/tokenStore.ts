import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Generated, Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Role } from './roles.js';
import { roleSchema } from './roles.js';
import type { Viewer } from './viewer.js';

interface ApiTokensTable {
  token_id: string;
  actor: string;
  roles: Role[];
  secret_sha256: string;
  description: string | null;
  created_at: Generated<Date | string>;
  created_by: string;
  revoked_at: Generated<Date | string | null>;
}

interface TokenTables {
  api_tokens: ApiTokensTable;
}

export interface TokenInfo {
  readonly tokenId: string;
  readonly actor: string;
  readonly roles: readonly Role[];
  readonly description: string | null;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly revokedAt: Date | null;
}

export interface CreatedToken extends TokenInfo {
  /** The bearer token; shown once, never stored. */
  readonly token: string;
}

/** Why a bearer token was refused; the message says what to do. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

const tokenPattern = /^tl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

function toInfo(row: Selectable<ApiTokensTable>): TokenInfo {
  return {
    tokenId: row.token_id,
    actor: row.actor,
    roles: row.roles,
    description: row.description,
    createdAt: toDate(row.created_at)!,
    createdBy: row.created_by,
    revokedAt: toDate(row.revoked_at),
  };
}

/**
 * Bearer tokens `tl_<id>_<secret>`: the id finds the row, the secret is compared by its sha256 in
 * constant time. A secret of 32 random bytes needs no slow hash; a leaked table reveals no token.
 */
export class TokenStore {
  private readonly db: Kysely<TokenTables>;
  private anyTokenCache: { value: boolean; until: number } | null = null;
  private readonly revokedListeners = new Set<(tokenId: string) => void>();

  constructor(db: Kysely<unknown>) {
    this.db = db as unknown as Kysely<TokenTables>;
  }

  async create(input: {
    actor: string;
    roles: readonly Role[];
    createdBy: string;
    description?: string;
  }): Promise<CreatedToken> {
    const actor = input.actor.trim();
    if (actor === '') throw new Error('a token needs an actor name (--actor NAME)');
    if (input.roles.length === 0) throw new Error('a token needs at least one role (--role ROLE)');
    const roles = [...new Set(input.roles.map((role) => roleSchema.parse(role)))];
    const tokenId = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const row = await this.db
      .insertInto('api_tokens')
      .values({
        token_id: tokenId,
        actor,
        roles: JSON.stringify(roles) as unknown as Role[],
        secret_sha256: sha256(secret),
        description: input.description ?? null,
        created_by: input.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    this.anyTokenCache = null;
    return { ...toInfo(row), token: `tl_${tokenId}_${secret}` };
  }

  async list(options: { includeRevoked?: boolean } = {}): Promise<TokenInfo[]> {
    let query = this.db.selectFrom('api_tokens').selectAll().orderBy('created_at').orderBy('token_id');
    if (!options.includeRevoked) query = query.where('revoked_at', 'is', null);
    return (await query.execute()).map(toInfo);
  }

  /** Returns false when no such active token exists. */
  async revoke(tokenId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: sql<Date>`now()` })
      .where('token_id', '=', tokenId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    this.anyTokenCache = null;
    const revoked = Number(result.numUpdatedRows) > 0;
    if (revoked) for (const listener of this.revokedListeners) listener(tokenId);
    return revoked;
  }

  /** Calls `listener` after this store revokes a token; returns the function that stops it. */
  onRevoked(listener: (tokenId: string) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  /** Which of these token ids are still active (exist and are not revoked). */
  async activeAmong(tokenIds: readonly string[]): Promise<Set<string>> {
    if (tokenIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('api_tokens')
      .select('token_id')
      .where('token_id', 'in', [...tokenIds])
      .where('revoked_at', 'is', null)
      .execute();
    return new Set(rows.map((row) => row.token_id));
  }

  /**
   * Whether any unrevoked token exists: when none does, the API runs in local single-user mode.
   * Cached for a second so unauthenticated requests do not each cost a query.
   */
  async hasActiveTokens(): Promise<boolean> {
    const now = Date.now();
    if (this.anyTokenCache && this.anyTokenCache.until > now) return this.anyTokenCache.value;
    const row = await this.db
      .selectFrom('api_tokens')
      .select('token_id')
      .where('revoked_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    this.anyTokenCache = { value: row !== undefined, until: now + 1000 };
    return row !== undefined;
  }

  async authenticate(token: string): Promise<Viewer> {
    const match = tokenPattern.exec(token.trim());
    if (!match) {
      throw new InvalidTokenError(
        'the bearer token is malformed: expected "tl_<id>_<secret>" as printed by `tuneledger token create`',
      );
    }
    const [, tokenId, secret] = match as unknown as [string, string, string];
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_id', '=', tokenId)
      .executeTakeFirst();
    const expected = Buffer.from(row?.secret_sha256 ?? sha256(''), 'hex');
    const actual = Buffer.from(sha256(secret), 'hex');
    if (!row || !timingSafeEqual(expected, actual)) {
      throw new InvalidTokenError(
        `token ${tokenId} is not known: check it was copied whole, or create one with \`tuneledger token create\``,
      );
    }
    if (row.revoked_at !== null) {
      throw new InvalidTokenError(`token ${tokenId} was revoked; ask an admin for a new one`);
    }
    return { actor: row.actor, roles: row.roles, tokenId };
  }
}
