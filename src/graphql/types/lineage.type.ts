import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type {
  LineageEdge,
  LineageEdgeRow,
  LineageNode,
  LineageNodeKind,
  LineageNodeRow,
  LineageRelation,
} from '../../projections/index.js';
import { LineageNodeKindEnum, LineageRelationEnum } from './enums.js';
import { DateTime, JSON } from './scalars.js';

export enum LineageDirection {
  UPSTREAM = 'upstream',
  DOWNSTREAM = 'downstream',
}
registerEnumType(LineageDirection, {
  name: 'LineageDirection',
  description: 'UPSTREAM: what a node was made from; DOWNSTREAM: what was made from it.',
});

@ObjectType('LineageNode')
export class LineageNodeType {
  @Field(() => ID, { description: 'e.g. dataset:<id>@<revision>, run:<id>, model:<name>@<version>.' })
  nodeId!: string;

  @Field(() => LineageNodeKindEnum)
  kind!: LineageNodeKind;

  @Field()
  label!: string;

  @Field(() => JSON)
  attributes!: unknown;

  @Field({ description: 'The event that created the node.' })
  eventId!: string;

  @Field(() => DateTime)
  createdAt!: Date;
}

@ObjectType('LineageEdge', { description: 'From what was used to what was made.' })
export class LineageEdgeType {
  @Field()
  from!: string;

  @Field()
  to!: string;

  @Field(() => LineageRelationEnum)
  relation!: LineageRelation;

  @Field({ description: 'The event that created the edge.' })
  eventId!: string;

  @Field(() => DateTime)
  createdAt!: Date;
}

@ObjectType('Lineage')
export class LineageType {
  @Field(() => [LineageNodeType])
  nodes!: LineageNodeType[];

  @Field(() => [LineageEdgeType])
  edges!: LineageEdgeType[];

  @Field({ description: 'True when the walk stopped at the node limit.' })
  truncated!: boolean;

  @Field(() => DateTime, { nullable: true, description: 'The moment asked about, when folded from the log.' })
  asOf!: Date | null;
}

export const nodeFromRow = (row: LineageNodeRow): LineageNodeType => ({
  nodeId: row.node_id,
  kind: row.kind as LineageNodeKind,
  label: row.label,
  attributes: row.attributes,
  eventId: row.created_event_id,
  createdAt: row.created_at,
});

export const edgeFromRow = (row: LineageEdgeRow): LineageEdgeType => ({
  from: row.from_node,
  to: row.to_node,
  relation: row.relation as LineageRelation,
  eventId: row.event_id,
  createdAt: row.created_at,
});

export const nodeFromFold = (node: LineageNode): LineageNodeType => ({
  nodeId: node.nodeId,
  kind: node.kind,
  label: node.label,
  attributes: node.attributes,
  eventId: node.eventId,
  createdAt: new Date(node.at),
});

export const edgeFromFold = (edge: LineageEdge): LineageEdgeType => ({
  from: edge.from,
  to: edge.to,
  relation: edge.relation,
  eventId: edge.eventId,
  createdAt: new Date(edge.at),
});
