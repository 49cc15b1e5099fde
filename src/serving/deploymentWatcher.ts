import type { DeploymentActivated, ModelRef, RolledBack } from '../domain/index.js';
import {
  START,
  isDatabaseUnavailable,
  type Checkpoint,
  type EventStore,
  type RecordedEvent,
} from '../eventstore/index.js';

/** What the watcher drives: the serving host's activate. */
export interface ActivationTarget {
  activate(deploymentName: string, model: ModelRef): Promise<void>;
}

export interface DeploymentWatcher {
  /** Resolves once the log up to start-up has been applied. */
  readonly caughtUp: Promise<void>;
  close(): Promise<void>;
}

function activationOf(event: RecordedEvent): { deploymentName: string; model: ModelRef } | undefined {
  if (event.type === 'DeploymentActivated') {
    const data = event.data as DeploymentActivated['data'];
    return { deploymentName: data.deploymentName, model: data.model };
  }
  if (event.type === 'RolledBack') {
    const data = event.data as RolledBack['data'];
    return { deploymentName: data.deploymentName, model: { name: data.modelName, version: data.toVersion } };
  }
  return undefined;
}

/**
 * Keeps a serving process in step with the log: activations and rollbacks recorded by any process (the
 * deploy and rollback workers) switch the versions served here. At start it loads only each deployment's
 * latest version, then follows the log live.
 */
export function watchDeployments(
  store: EventStore,
  target: ActivationTarget,
  options: { readonly onError?: (error: unknown) => void; readonly batch?: number } = {},
): DeploymentWatcher {
  const onError = options.onError ?? (() => undefined);
  let closed = false;
  let subscription: ReturnType<EventStore['subscribe']> | undefined;
  const caughtUp = (async () => {
    let checkpoint: Checkpoint = START;
    const latest = new Map<string, ModelRef>();
    for (let retryMs = 100; ;) {
      let page;
      try {
        page = await store.readAll(checkpoint, options.batch ?? 1000);
      } catch (error) {
        // The database away for a moment at start-up: wait and read on (the live subscription does the same).
        if (!isDatabaseUnavailable(error) || closed) throw error;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        retryMs = Math.min(5000, retryMs * 2);
        continue;
      }
      for (const event of page.events) {
        const activation = activationOf(event);
        if (activation) latest.set(activation.deploymentName, activation.model);
      }
      if (page.events.length === 0 || page.checkpoint === checkpoint) break;
      checkpoint = page.checkpoint;
    }
    for (const [deploymentName, model] of latest) {
      await target.activate(deploymentName, model).catch(onError);
    }
    return checkpoint;
  })();
  const following = caughtUp.then(async (checkpoint) => {
    if (closed) return;
    subscription = store.subscribe(checkpoint);
    for await (const event of subscription) {
      const activation = activationOf(event);
      if (activation) await target.activate(activation.deploymentName, activation.model).catch(onError);
    }
  });
  following.catch(onError);
  return {
    caughtUp: caughtUp.then(() => undefined),
    async close() {
      closed = true;
      await subscription?.close();
      await following.catch(() => undefined);
    },
  };
}
