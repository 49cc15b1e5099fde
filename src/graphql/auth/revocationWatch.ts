import type { WebSocket } from 'ws';
import type { TokenStore } from './tokenStore.js';
import type { Viewer } from './viewer.js';

/** Close code for a socket whose credentials stopped being valid (graphql-ws: 4401 Unauthorized). */
export const unauthorizedCloseCode = 4401;

/**
 * Ends the graphql-ws connections (and so the subscriptions) of tokens that stop being valid.
 * A token revoked in this process (TokenStore.revoke) closes its sockets at once; one revoked
 * elsewhere (`tuneledger token revoke` in another process) within one check interval, by one
 * query for all watched tokens. Sockets of local single-user mode close once a token exists.
 */
export class RevocationWatch {
  private readonly sockets = new Map<WebSocket, Viewer>();
  private readonly timer: NodeJS.Timeout;
  private checking: Promise<void> | null = null;
  private readonly stopListening: () => void;

  constructor(
    private readonly tokens: TokenStore,
    options: { readonly intervalMs: number; readonly onError: (error: unknown) => void },
  ) {
    this.timer = setInterval(() => {
      if (this.sockets.size > 0) this.check().catch(options.onError);
    }, options.intervalMs);
    this.timer.unref();
    this.stopListening = tokens.onRevoked((tokenId) => {
      for (const [socket, viewer] of this.sockets) {
        if (viewer.tokenId === tokenId) this.end(socket, `token ${tokenId} was revoked`);
      }
    });
  }

  /** Watches an authenticated socket until it closes. */
  watch(socket: WebSocket, viewer: Viewer): void {
    this.sockets.set(socket, viewer);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Closes every watched socket whose token is no longer active; one check at a time. */
  check(): Promise<void> {
    this.checking ??= (async () => {
      try {
        const watched = [...this.sockets];
        const tokenIds = [
          ...new Set(watched.flatMap(([, viewer]) => (viewer.tokenId ? [viewer.tokenId] : []))),
        ];
        const active = await this.tokens.activeAmong(tokenIds);
        const localModeEnded =
          watched.some(([, viewer]) => viewer.tokenId === null) && (await this.tokens.hasActiveTokens());
        for (const [socket, viewer] of watched) {
          if (viewer.tokenId === null) {
            if (localModeEnded)
              this.end(socket, 'local single-user mode ended: a token exists now; connect with a token');
          } else if (!active.has(viewer.tokenId)) {
            this.end(socket, `token ${viewer.tokenId} was revoked`);
          }
        }
      } finally {
        this.checking = null;
      }
    })();
    return this.checking;
  }

  close(): void {
    clearInterval(this.timer);
    this.stopListening();
    this.sockets.clear();
  }

  private end(socket: WebSocket, reason: string): void {
    this.sockets.delete(socket);
    socket.close(unauthorizedCloseCode, reason);
  }
}
