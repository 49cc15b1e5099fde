/**
 * An event as the whole-log check walks it: its place in the log and in its stream's chain, whether its hash
 * matches its content (checked already), and its Merkle leaf hash. The event's data is not kept.
 */
export interface CheckedEvent {
  readonly transaction_id: string;
  readonly global_position: string;
  readonly event_id: string;
  readonly stream_id: string;
  readonly stream_version: number;
  readonly previous_hash: string | null;
  readonly hash: string;
  /** Why the event's hash is not its content's; undefined when it is. */
  readonly altered: string | undefined;
  /** RFC 9162 leaf hash of the stored hash's bytes. */
  readonly leaf: Buffer;
}
