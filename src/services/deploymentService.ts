import {
  DomainError,
  deploymentDecider,
  deploymentStream,
  type DeploymentCommand,
  type DeploymentState,
  type DetectDegradation,
  type ModelRef,
  type RollbackPolicy,
} from '../domain/index.js';
import type { CommandContext } from './commandContext.js';
import type { CommandResult } from './commandHandler.js';
import type { Input, ServiceKit } from './serviceDependencies.js';

export class DeploymentService {
  constructor(private readonly kit: ServiceKit) {}

  async requestDeployment(
    input: { deploymentName: string; model: ModelRef; environment: string; reason?: string },
    context: CommandContext,
  ): Promise<CommandResult> {
    const registry = await this.kit.facts.registry(input.model.name);
    return this.execute(
      input.deploymentName,
      { ...input, type: 'RequestDeployment', registry, at: this.kit.now() },
      context,
    );
  }

  /** Activates the requested version, checking again that it has not been archived meanwhile. */
  async activate(
    input: { deploymentName: string; endpoint: string },
    context: CommandContext,
  ): Promise<CommandResult> {
    const state = await this.getDeployment(input.deploymentName);
    const modelName = state.pending?.model.name;
    if (!modelName) {
      throw new DomainError(
        'DEPLOYMENT_NOT_REQUESTED',
        `Deployment "${input.deploymentName}" has no requested version to activate; request a deployment first.`,
        { deploymentName: input.deploymentName },
      );
    }
    const registry = await this.kit.facts.registry(modelName);
    return this.execute(
      input.deploymentName,
      { ...input, type: 'ActivateDeployment', registry, at: this.kit.now() },
      context,
    );
  }

  /** Records a degradation; with a policy, a bad enough one requests a rollback in the same append. */
  async detectDegradation(
    input: Omit<Input<DetectDegradation>, 'registry' | 'policy' | 'rollbackId'> & { policy?: RollbackPolicy },
    context: CommandContext,
  ): Promise<CommandResult> {
    const registry = await this.registryOfActive(input.deploymentName);
    return this.execute(
      input.deploymentName,
      {
        ...input,
        type: 'DetectDegradation',
        registry,
        rollbackId: this.kit.newId(context, 'rollbackId'),
        at: this.kit.now(),
      },
      context,
    );
  }

  async requestRollback(
    input: {
      deploymentName: string;
      toVersion?: number;
      reason: string;
      evidence?: Record<string, unknown>;
      rollbackId?: string;
    },
    context: CommandContext,
  ): Promise<CommandResult & { rollbackId: string }> {
    const registry = await this.registryOfActive(input.deploymentName);
    const rollbackId = input.rollbackId ?? this.kit.newId(context, 'rollbackId');
    const result = await this.execute(
      input.deploymentName,
      { ...input, type: 'RequestRollback', rollbackId, registry, at: this.kit.now() },
      context,
    );
    return { ...result, rollbackId };
  }

  /** The serving side reports that the rollback took effect. */
  rolledBack(
    input: { deploymentName: string; rollbackId: string },
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.execute(
      input.deploymentName,
      { ...input, type: 'CompleteRollback', at: this.kit.now() },
      context,
    );
  }

  async getDeployment(deploymentName: string): Promise<DeploymentState> {
    return (await this.kit.handler.load(deploymentDecider, deploymentStream(deploymentName))).state;
  }

  private async registryOfActive(deploymentName: string) {
    const state = await this.getDeployment(deploymentName);
    return this.kit.facts.registry(state.active?.model.name ?? '');
  }

  private execute(
    deploymentName: string,
    command: DeploymentCommand,
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.kit.handler.handle(deploymentDecider, deploymentStream(deploymentName), command, context);
  }
}
