import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Database } from '../../eventstore/index.js';
import { roles, TokenStore, type Role } from '../../graphql/index.js';
import { loadConfig } from '../config.js';
import { openConfiguredDatabase } from '../platform.js';
import type { RegisterCommand } from './registerCommand.js';

/** Opens the database for one `token` sub-command; refused while a server holds the embedded data directory. */
async function withTokens<T>(command: string, work: (tokens: TokenStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database: Database = await openConfiguredDatabase(config, command);
  try {
    return await work(new TokenStore(database.db));
  } finally {
    await database.close();
  }
}

function collectRoles(value: string, previous: Role[] = []): Role[] {
  const given = value.split(',').map((role) => role.trim());
  const unknown = given.filter((role) => !(roles as readonly string[]).includes(role));
  if (unknown.length > 0) {
    throw new Error(`unknown role(s) ${unknown.join(', ')}; use one or more of ${roles.join(', ')}`);
  }
  return [...previous, ...(given as Role[])];
}

export const registerTokenCommand: RegisterCommand = (program: Command) => {
  const token = program
    .command('token')
    .description(
      'Manage API tokens for the GraphQL API. While no token exists the API runs in local single-user mode; ' +
        'once one exists every request needs "Authorization: Bearer <token>".',
    );

  token
    .command('create')
    .description(
      'Create a token for an actor with one or more roles and print it once (only its sha256 is stored). ' +
        'Roles: viewer (read), engineer (register data, start runs and evaluations), approver (promote, deploy, ' +
        'roll back), admin (everything), worker (report on jobs it holds).',
    )
    .requiredOption('--actor <name>', 'who the token acts as; stamped into every event it causes')
    .addOption(
      new Option('--role <role>', `role to grant (repeat or comma-separate): ${roles.join(', ')}`)
        .argParser(collectRoles)
        .makeOptionMandatory(),
    )
    .option('--description <text>', 'what the token is for')
    .action(async (options: { actor: string; role: Role[]; description?: string }) => {
      const created = await withTokens('token create', (tokens) =>
        tokens.create({
          actor: options.actor,
          roles: options.role,
          description: options.description,
          createdBy: `cli:${userInfo().username}`,
        }),
      );
      process.stdout.write(
        `${created.token}\n` +
          `token ${created.tokenId} for ${created.actor} (${created.roles.join(', ')}): copy it now, it is not shown again.\n`,
      );
    });

  token
    .command('list')
    .description('List tokens (id, actor, roles, created); secrets are never shown.')
    .option('--all', 'include revoked tokens')
    .action(async (options: { all?: boolean }) => {
      const list = await withTokens('token list', (tokens) => tokens.list({ includeRevoked: options.all }));
      if (list.length === 0) {
        process.stdout.write('no tokens: the API runs in local single-user mode\n');
        return;
      }
      for (const info of list) {
        const state = info.revokedAt ? `revoked ${info.revokedAt.toISOString()}` : 'active';
        process.stdout.write(
          `${info.tokenId}  ${info.actor}  ${info.roles.join(',')}  created ${info.createdAt.toISOString()} by ${info.createdBy}  ${state}${info.description ? `  ${info.description}` : ''}\n`,
        );
      }
    });

  token
    .command('revoke')
    .description('Revoke a token by its id (the 12 hex digits after "tl_"); it stops working at once.')
    .argument('<tokenId>', 'the token id shown by `tuneledger token list`')
    .action(async (tokenId: string) => {
      const revoked = await withTokens('token revoke', (tokens) => tokens.revoke(tokenId));
      if (!revoked) throw new Error(`no active token ${tokenId}; see \`tuneledger token list --all\``);
      process.stdout.write(`token ${tokenId} revoked\n`);
    });
};
